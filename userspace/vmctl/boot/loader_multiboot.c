// SPDX-License-Identifier: GPL-2.0
/*
 * Multiboot (version 1) kernels, booted as "The Multiboot Specification
 * version 0.6.96" describes: vmctl plays the boot loader. It finds the
 * Multiboot header in the image's first 8192 bytes, loads the image either
 * by the header's own addresses (the "a.out kludge", header flag 16) or as
 * an ELF32 executable (PT_LOAD segments at their physical addresses), puts
 * the modules page-aligned above it, builds the information structure, and
 * enters the kernel in flat 32-bit protected mode with paging off, EAX =
 * 0x2badb002 and EBX = the information structure.
 *
 * Guest-physical layout. The kernel goes where its header or ELF file
 * says, anywhere in RAM at or above 0x1000 (normally at 1 MiB); the
 * modules follow it, each page-aligned, from the first page boundary
 * above the kernel's highest byte (its bss included) and not below 1 MiB.
 * vmctl's own structures, which the specification lets the loader put
 * anywhere, are one "boot block" at the lowest page boundary at or above
 * 0x1000 where it fits in RAM beside the kernel and the modules: in low
 * memory for a kernel at 1 MiB, so that the kernel can reclaim it once it
 * has read it, and out of the way of one linked low. Offsets in it:
 *
 *   0x0000-0x0017  GDT: null, 0x08 flat 32-bit code, 0x10 flat data;
 *                  GDTR is "undefined" at entry, but a real one costs
 *                  nothing and survives a kernel reloading a selector
 *   0x1000-0x1073  struct mb_info, EBX at entry
 *   0x1100-0x1147  the memory map: three entries
 *   0x1200         "vmctl", the boot loader name
 *   0x2000-0x2fff  struct mb_module[], up to 256 modules
 *   0x3000-        the command line, then the modules' strings
 *   then           a 16 KiB stack, ESP at the block's end; the
 *                  specification leaves ESP undefined, a kernel must set
 *                  its own
 *
 * 0x0-0xfff (the real-mode IVT and BIOS data area) is left zero, and
 * 0x9fc00-0xfffff is reserved in the memory map (a PC's EBDA, video memory
 * and BIOS): nothing is loaded in either.
 *
 * The memory map is the E820 map vmctl gives Linux guests (loader_linux.c):
 * RAM [0, 0x9fc00), reserved [0x9fc00, 1 MiB), RAM [1 MiB, end of guest
 * memory). Guest memory is one slot at 0 of at most 3 GiB, as for Linux:
 * 3-4 GiB stays free for MMIO, and Multiboot 1 addresses are 32 bits.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/boot_params.h"
#include "boot/image_file.h"
#include "boot/loader_multiboot.h"
#include "core/vm.h"

#define MIB			(1ULL << 20)
#define PAGE_SIZE		4096ULL

/* At most this many PT_LOAD segments: kernels have two to four. */
#define MB_MAX_SEGMENTS		32

/* CR0 bits: protected mode, paging off (3.2 "Machine state"). */
#define CR0_PE			(1ULL << 0)
#define CR0_ET			(1ULL << 4)
#define CR0_NE			(1ULL << 5)

/* A part of the image to copy: @file_size bytes, then zeros to @mem_size. */
struct mb_segment {
	uint64_t addr, file_off, file_size, mem_size;
};

static uint64_t mib_up(uint64_t bytes)
{
	return (bytes + MIB - 1) / MIB;
}

static uint64_t page_up(uint64_t addr)
{
	return (addr + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

static void put64(struct vmctl_vm *vm, uint64_t gpa, uint64_t val)
{
	memcpy(vm->mem + gpa, &val, sizeof(val));
}

/*
 * 3.1.1: "The Multiboot header must be contained completely within the
 * first 8192 bytes of the OS image, and must be longword (32-bit)
 * aligned." The first magic whose checksum matches is the header, as GRUB
 * takes it: a stray 0x1badb002 in code before it is skipped.
 */
static int find_header(const uint8_t *image, size_t len, size_t *off)
{
	size_t i;

	if (len > MB_SEARCH_LIMIT)
		len = MB_SEARCH_LIMIT;
	for (i = 0; i + MB_HEADER_MIN <= len; i += 4) {
		uint32_t f[3];

		memcpy(f, image + i, sizeof(f));
		if (f[0] == MB_HEADER_MAGIC && (uint32_t)(f[0] + f[1] + f[2]) == 0) {
			*off = i;
			return 0;
		}
	}
	return -1;
}

bool vmctl_is_multiboot(const uint8_t *image, size_t len)
{
	size_t off;

	return !find_header(image, len, &off);
}

/* Whether [a, a + alen) and [b, b + blen) share a byte. */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

static int check_segment(const char *path, const struct mb_segment *s,
			 uint64_t mem_size)
{
	uint64_t end = s->addr + s->mem_size;

	if (end > mem_size) {
		fprintf(stderr, "vmctl: %s: loads [%#llx, %#llx), outside %llu MiB of guest memory: %llu MiB needed (--memory)\n",
			path, (unsigned long long)s->addr,
			(unsigned long long)end,
			(unsigned long long)(mem_size / MIB),
			(unsigned long long)mib_up(end));
		return -1;
	}
	if (overlaps(s->addr, s->mem_size, 0, MB_LOAD_MIN)) {
		fprintf(stderr, "vmctl: %s: loads [%#llx, %#llx), over the real-mode interrupt table and BIOS data area at 0-%#x: link the kernel at or above %#x (normally at 1 MiB)\n",
			path, (unsigned long long)s->addr,
			(unsigned long long)end, MB_LOAD_MIN - 1, MB_LOAD_MIN);
		return -1;
	}
	if (overlaps(s->addr, s->mem_size, LINUX_LOW_RAM_END,
		     LINUX_KERNEL_ADDR - LINUX_LOW_RAM_END)) {
		fprintf(stderr, "vmctl: %s: loads [%#llx, %#llx), into %#llx-%#llx, which the memory map reserves (a PC's EBDA, video memory and BIOS): link the kernel at 1 MiB\n",
			path, (unsigned long long)s->addr,
			(unsigned long long)end,
			(unsigned long long)LINUX_LOW_RAM_END,
			(unsigned long long)LINUX_KERNEL_ADDR - 1);
		return -1;
	}
	return 0;
}

/*
 * 3.1.3 "The address fields of Multiboot header": one segment from the
 * file offset that corresponds to load_addr, given where the header is in
 * the file and where header_addr says it lands in memory.
 */
static int parse_aout_kludge(const char *path, const struct mb_header *h,
			     size_t header_off, uint64_t file_size,
			     struct mb_segment *seg, uint32_t *entry)
{
	uint64_t load_off, load_size;

	if (h->header_addr < h->load_addr) {
		fprintf(stderr, "vmctl: %s: corrupt Multiboot header: header_addr %#x is below load_addr %#x\n",
			path, h->header_addr, h->load_addr);
		return -1;
	}
	if (h->header_addr - h->load_addr > header_off) {
		fprintf(stderr, "vmctl: %s: corrupt Multiboot header: load_addr %#x would be %u bytes before the header, which is at file offset %#zx\n",
			path, h->load_addr, h->header_addr - h->load_addr,
			header_off);
		return -1;
	}
	load_off = header_off - (h->header_addr - h->load_addr);
	if (h->load_end_addr && h->load_end_addr <= h->load_addr) {
		fprintf(stderr, "vmctl: %s: corrupt Multiboot header: load_end_addr %#x is not above load_addr %#x\n",
			path, h->load_end_addr, h->load_addr);
		return -1;
	}
	/*
	 * load_end_addr 0: "the boot loader assumes that the text and data
	 * segments occupy the whole OS image file".
	 */
	load_size = h->load_end_addr ? h->load_end_addr - h->load_addr :
		file_size - load_off;
	if (load_off + load_size > file_size) {
		fprintf(stderr, "vmctl: %s: truncated: load_end_addr %#x needs %llu bytes from file offset %#llx, the file has %llu\n",
			path, h->load_end_addr, (unsigned long long)load_size,
			(unsigned long long)load_off,
			(unsigned long long)(file_size - load_off));
		return -1;
	}
	if (h->bss_end_addr && h->bss_end_addr < h->load_addr + load_size) {
		fprintf(stderr, "vmctl: %s: corrupt Multiboot header: bss_end_addr %#x is below the end of the loaded part, %#llx\n",
			path, h->bss_end_addr,
			(unsigned long long)(h->load_addr + load_size));
		return -1;
	}
	seg->addr = h->load_addr;
	seg->file_off = load_off;
	seg->file_size = load_size;
	seg->mem_size = h->bss_end_addr ? h->bss_end_addr - h->load_addr :
		load_size;
	if (h->entry_addr < seg->addr || h->entry_addr >= seg->addr + load_size) {
		fprintf(stderr, "vmctl: %s: Multiboot entry_addr %#x is outside the loaded image [%#llx, %#llx)\n",
			path, h->entry_addr, (unsigned long long)seg->addr,
			(unsigned long long)(seg->addr + load_size));
		return -1;
	}
	*entry = h->entry_addr;
	return 0;
}

/*
 * An ELF32 executable: its PT_LOAD segments at their physical addresses
 * (p_paddr), the bss part (p_memsz past p_filesz) zeroed. A kernel linked
 * at a higher-half virtual address has e_entry there: like GRUB, enter it
 * at the physical address of the same byte.
 */
static int parse_elf(const char *path, int fd, const uint8_t *head,
		     uint64_t file_size, struct mb_segment *segs,
		     unsigned int *nsegs, uint32_t *entry)
{
	Elf32_Ehdr eh;
	Elf32_Phdr *ph;
	unsigned int i, n = 0;
	bool entry_found = false;

	if (head[EI_CLASS] == ELFCLASS64) {
		fprintf(stderr, "vmctl: %s: an ELF64 file: Multiboot 1 loads ELF32 executables, or any image by the a.out kludge (header flag 16 and its address fields)\n",
			path);
		return -1;
	}
	if (file_size < sizeof(eh) || head[EI_CLASS] != ELFCLASS32 ||
	    head[EI_DATA] != ELFDATA2LSB) {
		fprintf(stderr, "vmctl: %s: not a little-endian ELF32 file\n",
			path);
		return -1;
	}
	memcpy(&eh, head, sizeof(eh));
	if (eh.e_type != ET_EXEC || eh.e_machine != EM_386) {
		fprintf(stderr, "vmctl: %s: not an i386 ELF executable (e_type %u, e_machine %u): link it with ld -m elf_i386\n",
			path, eh.e_type, eh.e_machine);
		return -1;
	}
	if (eh.e_phentsize != sizeof(Elf32_Phdr) || !eh.e_phnum ||
	    eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf32_Phdr) > file_size) {
		fprintf(stderr, "vmctl: %s: corrupt ELF file: %u program headers of %u bytes at offset %#x\n",
			path, eh.e_phnum, eh.e_phentsize, eh.e_phoff);
		return -1;
	}
	ph = calloc(eh.e_phnum, sizeof(*ph));
	if (!ph) {
		fprintf(stderr, "vmctl: %s: out of memory\n", path);
		return -1;
	}
	if (vmctl_image_read_at(fd, path, ph, eh.e_phnum * sizeof(*ph),
				eh.e_phoff))
		goto fail;
	for (i = 0; i < eh.e_phnum; i++) {
		const Elf32_Phdr *p = &ph[i];

		if (p->p_type != PT_LOAD || !p->p_memsz)
			continue;
		if (p->p_filesz > p->p_memsz ||
		    (uint64_t)p->p_offset + p->p_filesz > file_size) {
			fprintf(stderr, "vmctl: %s: corrupt ELF file: segment %u has %u bytes at file offset %#x and a size of %u in memory; the file has %llu bytes\n",
				path, i, p->p_filesz, p->p_offset, p->p_memsz,
				(unsigned long long)file_size);
			goto fail;
		}
		if (n == MB_MAX_SEGMENTS) {
			fprintf(stderr, "vmctl: %s: more than %u loadable segments\n",
				path, MB_MAX_SEGMENTS);
			goto fail;
		}
		segs[n++] = (struct mb_segment) {
			.addr = p->p_paddr, .file_off = p->p_offset,
			.file_size = p->p_filesz, .mem_size = p->p_memsz,
		};
		if (!entry_found && eh.e_entry >= p->p_vaddr &&
		    eh.e_entry - p->p_vaddr < p->p_memsz) {
			*entry = eh.e_entry - p->p_vaddr + p->p_paddr;
			entry_found = true;
		}
	}
	if (!n) {
		fprintf(stderr, "vmctl: %s: no loadable (PT_LOAD) segment\n", path);
		goto fail;
	}
	if (!entry_found) {
		fprintf(stderr, "vmctl: %s: the entry point %#x is in no loadable segment\n",
			path, eh.e_entry);
		goto fail;
	}
	free(ph);
	*nsegs = n;
	return 0;
fail:
	free(ph);
	return -1;
}

/* The file name of a module: the element up to its first space. */
static char *module_file(const char *module)
{
	return strndup(module, strcspn(module, " "));
}

static void close_all(int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* The parts of guest memory the kernel and its modules take. */
struct mb_taken {
	uint64_t addr[MB_MAX_SEGMENTS + MB_MAX_MODULES];
	uint64_t len[MB_MAX_SEGMENTS + MB_MAX_MODULES];
	unsigned int n;
};

static bool fits(const struct mb_taken *t, uint64_t base, uint64_t len,
		 uint64_t mem_size)
{
	unsigned int i;

	/* Inside one RAM range of the memory map: below the EBDA, or above 1 MiB. */
	if (!(base + len <= LINUX_LOW_RAM_END ||
	      (base >= LINUX_KERNEL_ADDR && base + len <= mem_size)))
		return false;
	for (i = 0; i < t->n; i++)
		if (overlaps(base, len, t->addr[i], t->len[i]))
			return false;
	return true;
}

/*
 * The boot block's base: the lowest page boundary at or above 0x1000
 * where @len bytes fit. The lowest such place is 0x1000, 1 MiB or the page
 * after something taken, so only those are tried. 0: nowhere.
 */
static uint64_t place_block(const struct mb_taken *t, uint64_t len,
			    uint64_t mem_size)
{
	uint64_t best = 0, c;
	unsigned int i;

	for (i = 0; i <= t->n + 1; i++) {
		c = i == t->n ? MB_LOAD_MIN : i == t->n + 1 ? LINUX_KERNEL_ADDR :
		    page_up(t->addr[i] + t->len[i]);
		if ((!best || c < best) && fits(t, c, len, mem_size))
			best = c;
	}
	return best;
}

static void write_gdt(struct vmctl_vm *vm, uint64_t gdt)
{
	/*
	 * 0x08: present, DPL 0, code execute/read (access 0x9b), G and D
	 * (32-bit). 0x10: data read/write (0x93), G and B. Both base 0,
	 * limit 4 GiB, as 3.2 wants CS and the data segments.
	 */
	memset(vm->mem + gdt, 0, MB_GDT_LIMIT + 1);
	put64(vm, gdt + MB_BOOT_CS, 0x00cf9b000000ffffULL);
	put64(vm, gdt + MB_BOOT_DS, 0x00cf93000000ffffULL);
}

_Static_assert(MB_BLOCK_MMAP + VMCTL_MEMORY_MAP_ENTRIES *
	       sizeof(struct mb_mmap_entry) <= MB_BLOCK_LOADER_NAME,
	       "the memory map fits before the boot loader name");
_Static_assert(MB_BLOCK_INFO + sizeof(struct mb_info) <= MB_BLOCK_MMAP,
	       "the information structure fits before the memory map");

/* Entry @i of the memory map at @mmap, from the E820 entry @r. */
static void add_mmap(struct vmctl_vm *vm, uint64_t mmap, unsigned int i,
		     const struct bp_e820_entry *r)
{
	const struct mb_mmap_entry e = {
		.size = sizeof(e) - sizeof(e.size),
		.base_addr = r->addr, .length = r->size,
		.type = r->type == BP_E820_RAM ? MB_MEMORY_AVAILABLE :
						 MB_MEMORY_RESERVED,
	};

	memcpy(vm->mem + mmap + i * sizeof(e), &e, sizeof(e));
}

int vmctl_multiboot_setup_memory(struct vmctl_vm *vm, const char *path,
				 const char *cmdline,
				 const char *const *modules,
				 unsigned int nmodules,
				 struct vmctl_multiboot_info *info)
{
	uint8_t head[MB_SEARCH_LIMIT] = { 0 };
	struct mb_segment segs[MB_MAX_SEGMENTS];
	struct mb_header h = { 0 };
	struct mb_info mbi = { 0 };
	struct bp_e820_entry map[VMCTL_MEMORY_MAP_ENTRIES];
	uint64_t file_size, head_len, *mod_size = NULL, *mod_addr = NULL;
	uint64_t next, strings_len = 0, b;
	unsigned int nsegs = 1, nmap, i;
	size_t header_off, cmdline_len;
	uint32_t unknown, str_addr;
	struct mb_taken taken;
	int fd, *mod_fd = NULL;

	memset(info, 0, sizeof(*info));
	if (!cmdline)
		cmdline = "";
	if (vm->mem_size > LINUX_MAX_MEM) {
		fprintf(stderr, "vmctl: Multiboot guests get at most %llu MiB of memory (3-4 GiB is kept for MMIO, and Multiboot 1 addresses are 32 bits)\n",
			LINUX_MAX_MEM / MIB);
		return -1;
	}
	if (vm->mem_size <= LINUX_KERNEL_ADDR) {
		fprintf(stderr, "vmctl: Multiboot guests need more than 1 MiB of memory (--memory)\n");
		return -1;
	}
	cmdline_len = strlen(cmdline);
	if (cmdline_len >= MB_CMDLINE_MAX) {
		fprintf(stderr, "vmctl: the command line has %zu bytes; a Multiboot kernel gets at most %u\n",
			cmdline_len, MB_CMDLINE_MAX - 1);
		return -1;
	}
	if (nmodules > MB_MAX_MODULES) {
		fprintf(stderr, "vmctl: %u modules; vmctl passes at most %zu\n",
			nmodules, MB_MAX_MODULES);
		return -1;
	}
	for (i = 0; i < nmodules; i++)
		strings_len += strlen(modules[i]) + 1;
	if (strings_len > MB_MOD_STRINGS_MAX) {
		fprintf(stderr, "vmctl: the modules' strings take %llu bytes with their NULs; vmctl has room for %u\n",
			(unsigned long long)strings_len, MB_MOD_STRINGS_MAX);
		return -1;
	}

	fd = vmctl_image_open(path, &file_size);
	if (fd < 0)
		return -1;
	head_len = file_size < sizeof(head) ? file_size : sizeof(head);
	if (vmctl_image_read_at(fd, path, head, head_len, 0))
		goto fail;
	if (find_header(head, head_len, &header_off)) {
		fprintf(stderr, "vmctl: %s: not a Multiboot kernel: no Multiboot header (magic 0x1badb002 with a matching checksum, 4-byte aligned) in its first %u bytes\n",
			path, MB_SEARCH_LIMIT);
		goto fail;
	}
	memcpy(&h, head + header_off,
	       head_len - header_off < sizeof(h) ? head_len - header_off : sizeof(h));
	info->header_offset = header_off;
	info->header_flags = h.flags;

	/*
	 * 3.1.2: "If the boot loader does not understand all the
	 * requirements in the requirements bits (0-15), it must fail." Bit 0
	 * (page-aligned modules) and bit 1 (memory information) vmctl always
	 * meets. Bit 2 asks for video mode information; vmctl has no display
	 * to describe, so it boots anyway without it, as GRUB does when it
	 * cannot set a mode: info bits 11 and 12 stay clear, and the kernel
	 * must look at them before it uses a video field.
	 */
	unknown = h.flags & 0xffff & ~MB_HF_KNOWN_REQUIRED;
	if (unknown) {
		fprintf(stderr, "vmctl: %s: the Multiboot header requires features vmctl does not know (flags %#x, unknown required bits %#x)\n",
			path, h.flags, unknown);
		goto fail;
	}

	/*
	 * 3.1.3: with flag 16 "the boot loader should use them instead of
	 * the fields in the actual executable header": the kludge wins, even
	 * in an ELF file.
	 */
	if (h.flags & MB_HF_AOUT_KLUDGE) {
		if (header_off + MB_HEADER_AOUT > head_len) {
			fprintf(stderr, "vmctl: %s: the Multiboot header at file offset %#zx is cut short: its address fields (flag 16) end past %s\n",
				path, header_off,
				head_len < MB_SEARCH_LIMIT ? "the file" :
				"the first 8192 bytes");
			goto fail;
		}
		info->aout_kludge = true;
		if (parse_aout_kludge(path, &h, header_off, file_size, &segs[0],
				      &info->entry))
			goto fail;
	} else if (head_len >= SELFMAG && !memcmp(head, ELFMAG, SELFMAG)) {
		if (parse_elf(path, fd, head, file_size, segs, &nsegs,
			      &info->entry))
			goto fail;
	} else {
		fprintf(stderr, "vmctl: %s: neither an ELF executable nor a Multiboot kernel with load addresses (header flag 16, the a.out kludge): vmctl cannot tell where to load it\n",
			path);
		goto fail;
	}

	info->kernel_start = UINT64_MAX;
	for (i = 0; i < nsegs; i++) {
		if (check_segment(path, &segs[i], vm->mem_size))
			goto fail;
		if (segs[i].addr < info->kernel_start)
			info->kernel_start = segs[i].addr;
		if (segs[i].addr + segs[i].mem_size > info->kernel_end)
			info->kernel_end = segs[i].addr + segs[i].mem_size;
	}

	/* Modules: each page-aligned, above the kernel and 1 MiB. */
	if (nmodules) {
		mod_fd = malloc(nmodules * sizeof(*mod_fd));
		mod_size = calloc(nmodules, sizeof(*mod_size));
		mod_addr = calloc(nmodules, sizeof(*mod_addr));
		if (!mod_fd || !mod_size || !mod_addr) {
			fprintf(stderr, "vmctl: out of memory\n");
			goto fail;
		}
		for (i = 0; i < nmodules; i++)
			mod_fd[i] = -1;
	}
	for (i = 0; i < nmodules; i++) {
		char *file = module_file(modules[i]);

		if (!file) {
			fprintf(stderr, "vmctl: out of memory\n");
			goto fail;
		}
		if (!*file) {
			fprintf(stderr, "vmctl: module %u (\"%s\") has no file name\n",
				i + 1, modules[i]);
			free(file);
			goto fail;
		}
		mod_fd[i] = vmctl_image_open(file, &mod_size[i]);
		free(file);
		if (mod_fd[i] < 0)
			goto fail;
	}
	next = page_up(info->kernel_end > LINUX_KERNEL_ADDR ?
		       info->kernel_end : LINUX_KERNEL_ADDR);
	info->modules_end = info->kernel_end;
	for (i = 0; i < nmodules; i++) {
		mod_addr[i] = next;
		/* Sizes are file sizes: a sum cannot wrap 64 bits. */
		info->modules_end = next + mod_size[i];
		next = page_up(info->modules_end);
	}
	if (info->modules_end > vm->mem_size) {
		fprintf(stderr, "vmctl: the kernel (up to %#llx) and its modules (up to %#llx) do not fit in %llu MiB of guest memory: %llu MiB needed (--memory)\n",
			(unsigned long long)info->kernel_end,
			(unsigned long long)info->modules_end,
			(unsigned long long)(vm->mem_size / MIB),
			(unsigned long long)mib_up(info->modules_end));
		goto fail;
	}

	/* The boot block, out of their way. */
	taken.n = 0;
	for (i = 0; i < nsegs; i++) {
		taken.addr[taken.n] = segs[i].addr;
		taken.len[taken.n++] = segs[i].mem_size;
	}
	for (i = 0; i < nmodules; i++) {
		taken.addr[taken.n] = mod_addr[i];
		taken.len[taken.n++] = mod_size[i];
	}
	info->block_size = MB_BLOCK_STRINGS +
			   page_up(cmdline_len + 1 + strings_len) + MB_STACK_SIZE;
	b = place_block(&taken, info->block_size, vm->mem_size);
	if (!b) {
		fprintf(stderr, "vmctl: no room for the Multiboot information (%u KiB) beside the kernel [%#llx, %#llx) and its modules in %llu MiB of guest memory (--memory)\n",
			info->block_size / 1024,
			(unsigned long long)info->kernel_start,
			(unsigned long long)info->kernel_end,
			(unsigned long long)(vm->mem_size / MIB));
		goto fail;
	}
	info->block_addr = b;
	info->info_addr = b + MB_BLOCK_INFO;
	info->stack_top = b + info->block_size;

	/* Everything fits: fill guest memory. */
	for (i = 0; i < nsegs; i++) {
		const struct mb_segment *s = &segs[i];

		if (vmctl_image_read_at(fd, path, vm->mem + s->addr,
					s->file_size, s->file_off))
			goto fail;
		/* "bss_end_addr ... initialized to zero by the boot loader". */
		memset(vm->mem + s->addr + s->file_size, 0,
		       s->mem_size - s->file_size);
	}
	close(fd);
	fd = -1;

	memset(vm->mem + b, 0, info->block_size);
	memcpy(vm->mem + b + MB_BLOCK_STRINGS, cmdline, cmdline_len);
	str_addr = b + MB_BLOCK_STRINGS + cmdline_len + 1;
	for (i = 0; i < nmodules; i++) {
		const struct mb_module m = {
			.mod_start = mod_addr[i],
			.mod_end = mod_addr[i] + mod_size[i],
			.string = str_addr,
		};
		size_t len = strlen(modules[i]) + 1;

		if (vmctl_image_read_at(mod_fd[i], modules[i],
					vm->mem + mod_addr[i], mod_size[i], 0))
			goto fail;
		memcpy(vm->mem + b + MB_BLOCK_MODS + i * sizeof(m), &m, sizeof(m));
		memcpy(vm->mem + str_addr, modules[i], len);
		str_addr += len;
	}
	close_all(mod_fd, nmodules);
	info->nmodules = nmodules;

	/*
	 * mem_lower: KiB of RAM from 0, up to the EBDA; mem_upper: KiB from
	 * 1 MiB "to the first upper memory hole", here the end of memory.
	 */
	mbi.flags = MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MEM_MAP |
		    MB_INFO_LOADER_NAME;
	mbi.mem_lower = LINUX_LOW_RAM_END / 1024;
	mbi.mem_upper = (vm->mem_size - LINUX_KERNEL_ADDR) / 1024;
	mbi.cmdline = b + MB_BLOCK_STRINGS;
	if (nmodules) {
		mbi.flags |= MB_INFO_MODS;
		mbi.mods_count = nmodules;
		mbi.mods_addr = b + MB_BLOCK_MODS;
	}
	/* The same map as Linux guests get in their zero page. */
	nmap = vmctl_guest_memory_map(vm->mem_size, map);
	for (i = 0; i < nmap; i++)
		add_mmap(vm, b + MB_BLOCK_MMAP, i, &map[i]);
	mbi.mmap_addr = b + MB_BLOCK_MMAP;
	mbi.mmap_length = nmap * sizeof(struct mb_mmap_entry);
	memcpy(vm->mem + b + MB_BLOCK_LOADER_NAME, "vmctl", sizeof("vmctl"));
	mbi.boot_loader_name = b + MB_BLOCK_LOADER_NAME;
	memcpy(vm->mem + info->info_addr, &mbi, sizeof(mbi));

	write_gdt(vm, b + MB_BLOCK_GDT);
	free(mod_fd);
	free(mod_size);
	free(mod_addr);
	return 0;
fail:
	if (mod_fd)
		close_all(mod_fd, nmodules);
	free(mod_fd);
	free(mod_size);
	free(mod_addr);
	if (fd >= 0)
		close(fd);
	return -1;
}

void vmctl_multiboot_vcpu_state(const struct vmctl_multiboot_info *info,
				struct hvx_sregs *sregs, struct hvx_regs *regs)
{
	/*
	 * 3.2 "Machine state": CS "a 32-bit read/execute code segment with
	 * an offset of 0 and a limit of 0xFFFFFFFF"; DS, ES, FS, GS and SS
	 * "a 32-bit read/write data segment" likewise. The hidden parts match
	 * the GDT entries, as if the loader had loaded them from there. No
	 * IDT: "The OS image must leave interrupts disabled until it sets up
	 * its own IDT."
	 */
	vmctl_boot_segments(sregs, false, MB_BOOT_CS, MB_BOOT_DS,
			    info->block_addr + MB_BLOCK_GDT, MB_GDT_LIMIT);
	/* "CR0: bit 31 (PG) must be cleared. Bit 0 (PE) must be set." */
	sregs->cr0 = CR0_PE | CR0_ET | CR0_NE;
	sregs->cr3 = 0;
	sregs->cr4 = 0;
	sregs->efer = 0;	/* no long mode left over from a previous boot */

	/*
	 * "A20 gate must be enabled": guest memory is flat, hvx has no A20
	 * gate to close. EFLAGS: "Bit 17 (VM) must be cleared. Bit 9 (IF)
	 * must be cleared."
	 */
	memset(regs, 0, sizeof(*regs));
	regs->rax = MB_BOOTLOADER_MAGIC;
	regs->rbx = info->info_addr;
	regs->rip = info->entry;
	regs->rsp = info->stack_top;
	regs->rflags = 2;	/* bit 1 is always set */
}

/*
 * The registers of one vCPU. Kept apart, with its own fd, so that a VM
 * with several vCPUs starts the boot one here and the others elsewhere.
 */
static int multiboot_set_vcpu(int vcpu_fd,
			      const struct vmctl_multiboot_info *info)
{
	struct hvx_sregs sregs;
	struct hvx_regs regs;

	if (vmctl_boot_vcpu_get(vcpu_fd, &sregs))
		return -1;
	vmctl_multiboot_vcpu_state(info, &sregs, &regs);
	return vmctl_boot_vcpu_set(vcpu_fd, &sregs, &regs,
				   "32-bit protected mode, paging off");
}

int vmctl_load_multiboot(struct vmctl_vm *vm, const char *path,
			 const char *cmdline, const char *const *modules,
			 unsigned int nmodules)
{
	struct vmctl_multiboot_info info;

	if (vmctl_multiboot_setup_memory(vm, path, cmdline, modules, nmodules,
					 &info))
		return -1;
	return multiboot_set_vcpu(vm->vcpu_fd, &info);
}
