// SPDX-License-Identifier: GPL-2.0
/*
 * Linux bzImages (and vmlinux ELF files: loader_vmlinux.c), booted through
 * the 64-bit boot protocol of
 * Documentation/x86/boot.rst ("THE LINUX/x86 BOOT PROTOCOL", section
 * "64-bit Boot Protocol"): vmctl plays the boot loader. It fills a zero page
 * (struct boot_params) with the kernel's setup header, a command line, an
 * initrd and an E820 memory map, builds the long-mode environment the
 * protocol asks for, and enters the kernel at startup_64, 0x200 bytes into
 * its protected-mode part. The kernel's 16-bit setup code and its BIOS
 * calls never run: there is no BIOS.
 *
 * Guest-physical layout (the protocol lets the loader put boot_params and
 * the command line anywhere, as long as they, and init_size bytes from the
 * kernel's start, are identity-mapped at entry):
 *
 *   0x000000-0x000fff  left zero (the real-mode IVT and BIOS data area of a
 *                      PC; the kernel reads "no EBDA" from 0x40e)
 *   0x001000-0x00101f  GDT: null, null, 0x10 __BOOT_CS (64-bit code),
 *                      0x18 __BOOT_DS (data), both flat 4 GiB as required
 *   0x002000           PML4 (CR3)
 *   0x003000           PDPT, four entries
 *   0x004000-0x007fff  four page directories of 2 MiB pages: 0-4 GiB
 *                      identity-mapped, which covers all of the above
 *   0x008000-0x00ffff  a boot stack below RSP = 0x10000 (startup_64 moves
 *                      to its own before it pushes anything)
 *   0x010000-0x010fff  the zero page, RSI at entry
 *   0x020000-          the command line, at most cmdline_size + 1 bytes
 *   0x09fc00-0x0fffff  E820 "reserved": where a PC keeps its EBDA, VGA
 *                      memory and BIOS, which drivers may probe
 *   0x100000-          the protected-mode kernel (the file past its setup
 *                      sectors), the standard bzImage load address. It
 *                      decompresses itself to max(align_up(0x100000,
 *                      kernel_alignment), pref_address) and needs init_size
 *                      bytes from there ("kernel_end")
 *                      A vmlinux goes where its segments say (16 MiB
 *                      and up for Debian's), already decompressed
 *   top of memory      the initrd, page-aligned, as high as initrd_addr_max,
 *                      guest memory and 4 GiB allow, and above kernel_end
 *
 * The E820 map says RAM [0, 0x9fc00), reserved [0x9fc00, 1 MiB), RAM
 * [1 MiB, end of guest memory). Guest memory is one slot at 0 and at most
 * 3 GiB (LINUX_MAX_MEM): 3-4 GiB stays free for future MMIO, and RAM above
 * 4 GiB, which would then be needed for bigger guests, is not there yet.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "boot/boot_params.h"
#include "boot/image_file.h"
#include "core/vm.h"

#define MIB			(1ULL << 20)
#define GIB			(1ULL << 30)
#define PAGE_SIZE		4096ULL

/* Page-table entry bits (SDM Vol. 3A 4.5). */
#define PTE_PRESENT		(1ULL << 0)
#define PTE_WRITE		(1ULL << 1)
#define PTE_LARGE		(1ULL << 7)	/* PS: a 2 MiB page in a PDE */

/* Control register and EFER bits for 64-bit mode. */
#define CR0_PE			(1ULL << 0)
#define CR0_ET			(1ULL << 4)
#define CR0_NE			(1ULL << 5)
#define CR0_PG			(1ULL << 31)
#define CR4_PAE			(1ULL << 5)
#define EFER_LME		(1ULL << 8)
#define EFER_LMA		(1ULL << 10)

/*
 * Segment types (SDM Vol. 3A 3.4.5.1), accessed bit set as VM entry wants.
 * A busy TSS is type 11 both in 32-bit mode and, as a 64-bit TSS, in long
 * mode (3.5).
 */
#define SEG_TYPE_CODE_RX_A	11
#define SEG_TYPE_DATA_RW_A	3
#define SEG_TYPE_TSS_BUSY	11

static uint64_t mib_up(uint64_t bytes)
{
	return (bytes + MIB - 1) / MIB;
}

static void put64(struct vmctl_vm *vm, uint64_t gpa, uint64_t val)
{
	memcpy(vm->mem + gpa, &val, sizeof(val));
}

/*
 * Check the setup header in @head (the file's first BP_HDR_LIMIT bytes,
 * zero-padded) and copy the part the kernel has into @hdr.
 */
static int parse_header(const char *path, const uint8_t *head,
			uint64_t file_size, struct bp_setup_header *hdr,
			size_t *hdr_end)
{
	uint64_t setup_size;

	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr, head + BP_HDR_OFFSET,
	       BP_HDR_OFFSETOF(version) + 2 - BP_HDR_OFFSET);
	if (file_size < BP_HDR_OFFSETOF(version) + 2 ||
	    hdr->boot_flag != BP_BOOT_FLAG || hdr->header != BP_HDRS_MAGIC) {
		fprintf(stderr, "vmctl: %s: not a bzImage (no \"HdrS\" setup header at 0x202)\n",
			path);
		return -1;
	}
	if (hdr->version < BP_MIN_PROTOCOL) {
		fprintf(stderr, "vmctl: %s: boot protocol %u.%02u too old: the 64-bit entry point needs 2.12 (Linux 3.8) or later\n",
			path, hdr->version >> 8, hdr->version & 0xff);
		return -1;
	}
	/*
	 * "The end of setup header can be calculated as 0x0202 + byte value
	 * at offset 0x0201" (boot.rst, 64-bit Boot Protocol). Protocol 2.12
	 * has fields up to init_size; the header cannot run into the
	 * zero page's next field.
	 */
	*hdr_end = 0x202 + head[0x201];
	if (*hdr_end < BP_HDR_OFFSETOF(init_size) + 4 ||
	    *hdr_end > BP_HDR_LIMIT || *hdr_end > file_size) {
		fprintf(stderr, "vmctl: %s: corrupt bzImage: setup header ends at %#zx\n",
			path, *hdr_end);
		return -1;
	}
	/*
	 * A later protocol's header may run past the fields vmctl knows
	 * (0x26c, protocol 2.15), up to BP_HDR_LIMIT: the zero page gets all
	 * of it, @hdr what fits.
	 */
	memcpy(hdr, head + BP_HDR_OFFSET,
	       *hdr_end - BP_HDR_OFFSET < sizeof(*hdr) ?
	       *hdr_end - BP_HDR_OFFSET : sizeof(*hdr));
	if (!(hdr->loadflags & BP_LOADED_HIGH)) {
		fprintf(stderr, "vmctl: %s: not a bzImage (a zImage, loaded below 1 MiB)\n",
			path);
		return -1;
	}
	if (!(hdr->xloadflags & BP_XLF_KERNEL_64)) {
		fprintf(stderr, "vmctl: %s: not a 64-bit kernel (xloadflags lacks XLF_KERNEL_64)\n",
			path);
		return -1;
	}
	/* "If this field is 0, the real value is 4"; plus the boot sector. */
	if (!hdr->setup_sects)
		hdr->setup_sects = 4;
	setup_size = (hdr->setup_sects + 1ULL) * 512;
	if (file_size <= setup_size) {
		fprintf(stderr, "vmctl: %s: truncated bzImage: %llu bytes, its setup code alone takes %llu\n",
			path, (unsigned long long)file_size,
			(unsigned long long)setup_size);
		return -1;
	}
	return 0;
}

/*
 * Where the kernel ends up, for a kernel loaded at LINUX_KERNEL_ADDR. The
 * "init_size" field gives the memory it needs from its runtime start, which
 * boot.rst defines as align_up(load address, kernel_alignment) for a
 * relocatable kernel and pref_address otherwise; startup_64 also never runs
 * a kernel below LOAD_PHYSICAL_ADDR, which is what pref_address holds (see
 * arch/x86/boot/compressed/head_64.S). Take the higher of the two.
 */
static uint64_t kernel_footprint_end(const struct bp_setup_header *hdr,
				     uint64_t kernel_size)
{
	uint64_t start = hdr->pref_address, align = hdr->kernel_alignment;
	uint64_t end;

	if (hdr->relocatable_kernel && align && !(align & (align - 1))) {
		uint64_t aligned = (LINUX_KERNEL_ADDR + align - 1) & ~(align - 1);

		if (aligned > start)
			start = aligned;
	}
	if (start < LINUX_KERNEL_ADDR)
		start = LINUX_KERNEL_ADDR;
	end = start + hdr->init_size;
	if (end < LINUX_KERNEL_ADDR + kernel_size)
		end = LINUX_KERNEL_ADDR + kernel_size;
	return end;
}

/* The initrd's address: page-aligned, as high as the limits allow. */
static int place_initrd(const char *path, uint64_t size,
			const struct bp_setup_header *hdr, uint64_t mem_size,
			uint64_t kernel_end, uint64_t *addr)
{
	/* initrd_addr_max is the highest byte the initrd may occupy. */
	uint64_t limit = (uint64_t)hdr->initrd_addr_max + 1;

	if (limit > mem_size)
		limit = mem_size;
	if (limit > 4 * GIB)	/* ramdisk_image is 32 bits without ext_ */
		limit = 4 * GIB;
	if (size > limit || ((limit - size) & ~(PAGE_SIZE - 1)) < kernel_end) {
		fprintf(stderr, "vmctl: %s: initrd of %llu MiB does not fit between the kernel (up to %#llx) and %#llx: %llu MiB of guest memory needed (--memory)\n",
			path, (unsigned long long)mib_up(size),
			(unsigned long long)kernel_end,
			(unsigned long long)limit,
			(unsigned long long)mib_up(kernel_end + size + PAGE_SIZE));
		return -1;
	}
	*addr = (limit - size) & ~(PAGE_SIZE - 1);
	return 0;
}

/* A flat 4 GiB descriptor: base 0, limit 0xfffff in 4 KiB units. */
static uint64_t flat_descriptor(uint8_t access, uint8_t flags)
{
	return 0xffffULL | (uint64_t)access << 40 | 0xfULL << 48 |
	       (uint64_t)flags << 52;
}

static void write_gdt_and_page_tables(struct vmctl_vm *vm)
{
	uint64_t i;

	/*
	 * __BOOT_CS: present, DPL 0, code execute/read (access 0x9b), G and L
	 * (64-bit code, so D must be 0). __BOOT_DS: present, data read/write
	 * (0x93), G and D/B. boot.rst: "a GDT must be loaded with the
	 * descriptors for selectors __BOOT_CS(0x10) and __BOOT_DS(0x18); both
	 * descriptors must be 4G flat segment".
	 */
	memset(vm->mem + LINUX_GDT_ADDR, 0, PAGE_SIZE);
	put64(vm, LINUX_GDT_ADDR + LINUX_BOOT_CS, flat_descriptor(0x9b, 0xa));
	put64(vm, LINUX_GDT_ADDR + LINUX_BOOT_DS, flat_descriptor(0x93, 0xc));

	/* PML4[0] -> PDPT, PDPT[0..3] -> PDs, 4 x 512 PDEs of 2 MiB. */
	memset(vm->mem + LINUX_PML4_ADDR, 0, 6 * PAGE_SIZE);
	put64(vm, LINUX_PML4_ADDR, LINUX_PDPT_ADDR | PTE_PRESENT | PTE_WRITE);
	for (i = 0; i < 4; i++)
		put64(vm, LINUX_PDPT_ADDR + i * 8,
		      (LINUX_PD_ADDR + i * PAGE_SIZE) | PTE_PRESENT | PTE_WRITE);
	for (i = 0; i < 4 * 512; i++)
		put64(vm, LINUX_PD_ADDR + i * 8,
		      (i << 21) | PTE_PRESENT | PTE_WRITE | PTE_LARGE);
}

unsigned int
vmctl_guest_memory_map(uint64_t mem_size,
		       struct bp_e820_entry map[VMCTL_MEMORY_MAP_ENTRIES])
{
	map[0] = (struct bp_e820_entry) {
		.addr = 0, .size = LINUX_LOW_RAM_END, .type = BP_E820_RAM,
	};
	map[1] = (struct bp_e820_entry) {
		.addr = LINUX_LOW_RAM_END,
		.size = LINUX_KERNEL_ADDR - LINUX_LOW_RAM_END,
		.type = BP_E820_RESERVED,
	};
	map[2] = (struct bp_e820_entry) {
		.addr = LINUX_KERNEL_ADDR, .size = mem_size - LINUX_KERNEL_ADDR,
		.type = BP_E820_RAM,
	};
	return VMCTL_MEMORY_MAP_ENTRIES;
}

int vmctl_linux_setup_memory(struct vmctl_vm *vm, const char *kernel,
			     const char *initrd, const char *cmdline,
			     struct vmctl_linux_info *info)
{
	uint8_t head[BP_HDR_LIMIT] = { 0 };
	struct bp_setup_header hdr;
	struct bp_zero_page *bp;
	uint64_t kernel_file_size, setup_size = 0, initrd_size = 0, initrd_addr = 0;
	size_t hdr_end = 0, cmdline_len;
	int fd, initrd_fd = -1;
	bool vmlinux;

	memset(info, 0, sizeof(*info));
	if (!cmdline)
		cmdline = "";
	if (vm->mem_size > LINUX_MAX_MEM) {
		fprintf(stderr, "vmctl: Linux guests get at most %llu MiB of memory for now (3-4 GiB is kept for MMIO, RAM above 4 GiB is not supported yet)\n",
			LINUX_MAX_MEM / MIB);
		return -1;
	}

	fd = vmctl_image_open(kernel, &kernel_file_size);
	if (fd < 0)
		return -1;
	if (vmctl_image_read_at(fd, kernel, head,
				kernel_file_size < sizeof(head) ?
				kernel_file_size : sizeof(head), 0))
		goto fail;
	vmlinux = vmctl_is_vmlinux(head, sizeof(head));
	if (vmlinux) {
		if (vmctl_vmlinux_parse(fd, kernel, kernel_file_size,
					vm->mem_size, &hdr, info))
			goto fail;
	} else {
		if (parse_header(kernel, head, kernel_file_size, &hdr, &hdr_end))
			goto fail;
		setup_size = (hdr.setup_sects + 1ULL) * 512;
		info->protocol = hdr.version;
		info->xloadflags = hdr.xloadflags;
		info->kernel_addr = LINUX_KERNEL_ADDR;
		info->kernel_size = kernel_file_size - setup_size;
		info->kernel_end = kernel_footprint_end(&hdr, info->kernel_size);
		info->entry = LINUX_KERNEL_ADDR + BP_STARTUP_64;
	}
	info->zero_page = LINUX_ZERO_PAGE_ADDR;
	info->cmdline_addr = LINUX_CMDLINE_ADDR;

	if (info->kernel_end > vm->mem_size) {
		fprintf(stderr, "vmctl: %s: kernel too large for %llu MiB of guest memory: it needs %llu MiB to decompress and start\n",
			kernel, (unsigned long long)(vm->mem_size / MIB),
			(unsigned long long)mib_up(info->kernel_end));
		goto fail;
	}
	/*
	 * "cmdline_size: the maximum size of the command line without the
	 * terminating zero".
	 */
	cmdline_len = strlen(cmdline);
	if (cmdline_len > hdr.cmdline_size || cmdline_len >= LINUX_CMDLINE_MAX) {
		fprintf(stderr, "vmctl: the command line has %zu bytes; %s takes at most %u\n",
			cmdline_len, kernel,
			hdr.cmdline_size < LINUX_CMDLINE_MAX - 1 ?
			hdr.cmdline_size : LINUX_CMDLINE_MAX - 1);
		goto fail;
	}
	if (initrd) {
		initrd_fd = vmctl_image_open(initrd, &initrd_size);
		if (initrd_fd < 0)
			goto fail;
		if (!initrd_size) {
			fprintf(stderr, "vmctl: %s: empty initrd\n", initrd);
			goto fail;
		}
		if (place_initrd(initrd, initrd_size, &hdr, vm->mem_size,
				 info->kernel_end, &initrd_addr))
			goto fail;
	}

	/* Everything fits: fill guest memory. */
	if (vmlinux ? vmctl_vmlinux_load(fd, kernel, kernel_file_size, vm) :
	    vmctl_image_read_at(fd, kernel, vm->mem + LINUX_KERNEL_ADDR,
				info->kernel_size, setup_size))
		goto fail;
	if (initrd_fd >= 0) {
		if (vmctl_image_read_at(initrd_fd, initrd, vm->mem + initrd_addr,
					initrd_size, 0))
			goto fail;
		close(initrd_fd);
		initrd_fd = -1;
		info->initrd_addr = initrd_addr;
		info->initrd_size = initrd_size;
	}
	close(fd);

	memset(vm->mem + LINUX_CMDLINE_ADDR, 0, LINUX_CMDLINE_MAX);
	memcpy(vm->mem + LINUX_CMDLINE_ADDR, cmdline, cmdline_len);

	/*
	 * The zero page: "initialized to all zero. Then, the setup header at
	 * offset 0x01f1 of kernel image on should be loaded into struct
	 * boot_params and examined" (boot.rst, 64-bit Boot Protocol). The
	 * header goes in as the file has it (zero past its end), or as
	 * vmctl_vmlinux_parse() wrote it; then the fields a loader writes.
	 */
	bp = (struct bp_zero_page *)(vm->mem + LINUX_ZERO_PAGE_ADDR);
	memset(bp, 0, sizeof(*bp));
	if (vmlinux)
		bp->hdr = hdr;
	else
		memcpy((uint8_t *)bp + BP_HDR_OFFSET, head + BP_HDR_OFFSET,
		       hdr_end - BP_HDR_OFFSET);
	/* "type_of_loader: write (obligatory)": 0xff, no assigned id. */
	bp->hdr.type_of_loader = BP_LOADER_UNDEFINED;
	/*
	 * Where the protected-mode part is; the 64-bit entry ignores it, but
	 * a relocating loader is told to update it.
	 */
	bp->hdr.code32_start = info->kernel_addr;
	/* Obligatory: left at zero, the kernel assumes a pre-2.02 loader. */
	bp->hdr.cmd_line_ptr = LINUX_CMDLINE_ADDR;
	bp->ext_cmd_line_ptr = 0;
	/* Below 4 GiB by construction, so ext_ramdisk_* stay 0. */
	bp->hdr.ramdisk_image = initrd_addr;
	bp->hdr.ramdisk_size = initrd_size;

	/* The memory map a BIOS would report with INT 15h/E820. */
	bp->e820_entries = vmctl_guest_memory_map(vm->mem_size, bp->e820_table);

	write_gdt_and_page_tables(vm);
	return 0;
fail:
	if (initrd_fd >= 0)
		close(initrd_fd);
	close(fd);
	return -1;
}

void vmctl_boot_segments(struct hvx_sregs *sregs, bool long_mode,
			 uint16_t cs, uint16_t ds, uint64_t gdt_base,
			 uint16_t gdt_limit)
{
	/* 64-bit code has L set, and then D must be 0. */
	const struct hvx_segment code = {
		.selector = cs, .base = 0, .limit = 0xffffffff,
		.type = SEG_TYPE_CODE_RX_A, .s = 1, .present = 1,
		.l = long_mode, .db = !long_mode, .g = 1,
	};
	const struct hvx_segment data = {
		.selector = ds, .base = 0, .limit = 0xffffffff,
		.type = SEG_TYPE_DATA_RW_A, .s = 1, .present = 1,
		.db = 1, .g = 1,
	};
	/* VM entry wants a usable TR even though no TSS exists yet. */
	const struct hvx_segment tr = {
		.selector = 0, .base = 0, .limit = 0x67,
		.type = SEG_TYPE_TSS_BUSY, .s = 0, .present = 1,
	};
	const struct hvx_segment ldt = { .unusable = 1 };

	sregs->cs = code;
	sregs->ds = sregs->es = sregs->ss = data;
	sregs->fs = sregs->gs = data;
	sregs->tr = tr;
	sregs->ldt = ldt;
	memset(&sregs->gdt, 0, sizeof(sregs->gdt));
	sregs->gdt.base = gdt_base;
	sregs->gdt.limit = gdt_limit;
	memset(&sregs->idt, 0, sizeof(sregs->idt));
	sregs->cr2 = 0;
	memset(sregs->reserved, 0, sizeof(sregs->reserved));
}

void vmctl_linux_vcpu_state(const struct vmctl_linux_info *info,
			    struct hvx_sregs *sregs, struct hvx_regs *regs)
{
	/*
	 * boot.rst, 64-bit Boot Protocol: "At entry, the CPU must be in
	 * 64-bit mode with paging enabled ... CS must be __BOOT_CS and DS,
	 * ES, SS must be __BOOT_DS; interrupt must be disabled; %rsi must
	 * hold the base address of the struct boot_params." The hidden parts
	 * of the segment registers match the GDT entries, as if the loader
	 * had loaded them from there. No IDT: startup_64 loads its own.
	 */
	vmctl_boot_segments(sregs, true, LINUX_BOOT_CS, LINUX_BOOT_DS,
			    LINUX_GDT_ADDR, LINUX_GDT_LIMIT);
	sregs->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	sregs->cr3 = LINUX_PML4_ADDR;
	sregs->cr4 = CR4_PAE;
	sregs->efer = EFER_LME | EFER_LMA;

	memset(regs, 0, sizeof(*regs));
	regs->rip = info->entry;
	regs->rsi = info->zero_page;
	regs->rsp = LINUX_STACK_TOP;
	regs->rflags = 2;	/* bit 1 is always set; IF clear */
}

int vmctl_boot_vcpu_get(int vcpu_fd, struct hvx_sregs *sregs)
{
	if (ioctl(vcpu_fd, HVX_GET_SREGS, sregs)) {
		fprintf(stderr, "vmctl: HVX_GET_SREGS: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int vmctl_boot_vcpu_set(int vcpu_fd, const struct hvx_sregs *sregs,
			const struct hvx_regs *regs, const char *mode)
{
	if (ioctl(vcpu_fd, HVX_SET_SREGS, sregs)) {
		fprintf(stderr, "vmctl: HVX_SET_SREGS (%s): %s\n", mode,
			strerror(errno));
		return -1;
	}
	if (ioctl(vcpu_fd, HVX_SET_REGS, regs)) {
		fprintf(stderr, "vmctl: HVX_SET_REGS: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int vmctl_load_linux(struct vmctl_vm *vm, const char *kernel,
		     const char *initrd, const char *cmdline,
		     struct vmctl_linux_info *info)
{
	struct vmctl_linux_info own;
	struct hvx_sregs sregs;
	struct hvx_regs regs;

	if (!info)
		info = &own;
	if (vmctl_linux_setup_memory(vm, kernel, initrd, cmdline, info) ||
	    vmctl_boot_vcpu_get(vm->vcpu_fd, &sregs))
		return -1;
	vmctl_linux_vcpu_state(info, &sregs, &regs);
	return vmctl_boot_vcpu_set(vm->vcpu_fd, &sregs, &regs, "64-bit mode");
}
