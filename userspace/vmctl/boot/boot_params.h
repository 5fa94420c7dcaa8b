/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of the Linux/x86 boot protocol that vmctl's Linux loader uses:
 * the setup header of a bzImage and the "zero page" (struct boot_params)
 * that a 64-bit boot loader hands the kernel in RSI.
 *
 * Offsets follow Documentation/x86/boot.rst of Linux ("The Real-Mode Kernel
 * Header", "64-bit Boot Protocol") and Documentation/x86/zero-page.rst. The
 * structures are written from those tables, not copied from the kernel's
 * bootparam.h; the _Static_asserts below pin every field vmctl touches to
 * its documented offset, so a typo cannot shift the layout silently.
 *
 * All fields are little-endian; so is every host vmctl runs on (x86-64).
 */
#ifndef VMCTL_BOOT_PARAMS_H
#define VMCTL_BOOT_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/hvx.h>

struct vmctl_vm;

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the boot protocol's fields are little-endian");

/*
 * The setup header, at offset 0x1f1 of both the bzImage file and the zero
 * page (boot.rst, "The Real-Mode Kernel Header"). Only its first
 * 0x202 + (byte at 0x201) - 0x1f1 bytes exist in a given kernel; the rest
 * of this structure is then zero in the zero page.
 */
struct bp_setup_header {
	uint8_t setup_sects;		/* 0x1f1: 512-byte sectors, 0 means 4 */
	uint16_t root_flags;		/* 0x1f2 */
	uint32_t syssize;		/* 0x1f4 */
	uint16_t ram_size;		/* 0x1f8 */
	uint16_t vid_mode;		/* 0x1fa */
	uint16_t root_dev;		/* 0x1fc */
	uint16_t boot_flag;		/* 0x1fe: 0xaa55 */
	uint16_t jump;			/* 0x200: its 2nd byte sizes the header */
	uint32_t header;		/* 0x202: "HdrS" */
	uint16_t version;		/* 0x206: protocol, 0x020c is 2.12 */
	uint32_t realmode_swtch;	/* 0x208 */
	uint16_t start_sys_seg;		/* 0x20c */
	uint16_t kernel_version;	/* 0x20e */
	uint8_t type_of_loader;		/* 0x210 */
	uint8_t loadflags;		/* 0x211 */
	uint16_t setup_move_size;	/* 0x212 */
	uint32_t code32_start;		/* 0x214 */
	uint32_t ramdisk_image;		/* 0x218 */
	uint32_t ramdisk_size;		/* 0x21c */
	uint32_t bootsect_kludge;	/* 0x220 */
	uint16_t heap_end_ptr;		/* 0x224 */
	uint8_t ext_loader_ver;		/* 0x226 */
	uint8_t ext_loader_type;	/* 0x227 */
	uint32_t cmd_line_ptr;		/* 0x228 */
	uint32_t initrd_addr_max;	/* 0x22c: highest byte the initrd may use */
	uint32_t kernel_alignment;	/* 0x230 */
	uint8_t relocatable_kernel;	/* 0x234 */
	uint8_t min_alignment;		/* 0x235 */
	uint16_t xloadflags;		/* 0x236 */
	uint32_t cmdline_size;		/* 0x238: without the terminating NUL */
	uint32_t hardware_subarch;	/* 0x23c */
	uint64_t hardware_subarch_data;	/* 0x240 */
	uint32_t payload_offset;	/* 0x248 */
	uint32_t payload_length;	/* 0x24c */
	uint64_t setup_data;		/* 0x250 */
	uint64_t pref_address;		/* 0x258 */
	uint32_t init_size;		/* 0x260 */
	uint32_t handover_offset;	/* 0x264 */
	uint32_t kernel_info_offset;	/* 0x268 */
} __attribute__((packed));

/* One entry of the zero page's E820 table (zero-page.rst, offset 0x2d0). */
struct bp_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;			/* BP_E820_* */
} __attribute__((packed));

#define BP_E820_RAM		1
#define BP_E820_RESERVED	2
#define BP_E820_MAX_ENTRIES	128	/* 0xa00 bytes / 20 */

/* struct boot_params, the "zero page" (zero-page.rst); 4096 bytes. */
struct bp_zero_page {
	uint8_t _pad0[0x0c0];		/* screen_info, apm, ist, acpi_rsdp_addr... */
	uint32_t ext_ramdisk_image;	/* 0x0c0: ramdisk_image bits 63:32 */
	uint32_t ext_ramdisk_size;	/* 0x0c4 */
	uint32_t ext_cmd_line_ptr;	/* 0x0c8 */
	uint8_t _pad1[0x1e8 - 0x0cc];
	uint8_t e820_entries;		/* 0x1e8 */
	uint8_t eddbuf_entries;		/* 0x1e9 */
	uint8_t edd_mbr_sig_buf_entries; /* 0x1ea */
	uint8_t kbd_status;		/* 0x1eb */
	uint8_t secure_boot;		/* 0x1ec */
	uint8_t _pad2[2];
	uint8_t sentinel;		/* 0x1ef: must stay 0 (broken-loader check) */
	uint8_t _pad3;			/* 0x1f0 */
	struct bp_setup_header hdr;	/* 0x1f1 */
	uint8_t _pad4[0x2d0 - 0x1f1 - sizeof(struct bp_setup_header)];
	struct bp_e820_entry e820_table[BP_E820_MAX_ENTRIES]; /* 0x2d0 */
	uint8_t _pad5[0x1000 - 0xcd0];	/* a gap, eddbuf at 0xd00, the rest */
} __attribute__((packed));

/* Offsets in the file and in the zero page (they coincide for the header). */
#define BP_HDR_OFFSET		0x1f1
#define BP_HDR_OFFSETOF(f)	(BP_HDR_OFFSET + offsetof(struct bp_setup_header, f))
/* The header may grow up to edd_mbr_sig_buffer, the next zero-page field. */
#define BP_HDR_LIMIT		0x290

_Static_assert(BP_HDR_OFFSETOF(boot_flag) == 0x1fe, "boot_flag");
_Static_assert(BP_HDR_OFFSETOF(jump) == 0x200, "jump");
_Static_assert(BP_HDR_OFFSETOF(header) == 0x202, "header");
_Static_assert(BP_HDR_OFFSETOF(version) == 0x206, "version");
_Static_assert(BP_HDR_OFFSETOF(type_of_loader) == 0x210, "type_of_loader");
_Static_assert(BP_HDR_OFFSETOF(loadflags) == 0x211, "loadflags");
_Static_assert(BP_HDR_OFFSETOF(code32_start) == 0x214, "code32_start");
_Static_assert(BP_HDR_OFFSETOF(ramdisk_image) == 0x218, "ramdisk_image");
_Static_assert(BP_HDR_OFFSETOF(ramdisk_size) == 0x21c, "ramdisk_size");
_Static_assert(BP_HDR_OFFSETOF(cmd_line_ptr) == 0x228, "cmd_line_ptr");
_Static_assert(BP_HDR_OFFSETOF(initrd_addr_max) == 0x22c, "initrd_addr_max");
_Static_assert(BP_HDR_OFFSETOF(kernel_alignment) == 0x230, "kernel_alignment");
_Static_assert(BP_HDR_OFFSETOF(relocatable_kernel) == 0x234, "relocatable_kernel");
_Static_assert(BP_HDR_OFFSETOF(xloadflags) == 0x236, "xloadflags");
_Static_assert(BP_HDR_OFFSETOF(cmdline_size) == 0x238, "cmdline_size");
_Static_assert(BP_HDR_OFFSETOF(pref_address) == 0x258, "pref_address");
_Static_assert(BP_HDR_OFFSETOF(init_size) == 0x260, "init_size");
_Static_assert(BP_HDR_OFFSETOF(kernel_info_offset) == 0x268, "kernel_info_offset");
_Static_assert(sizeof(struct bp_setup_header) == 0x26c - BP_HDR_OFFSET,
	       "setup header ends at 0x26c (protocol 2.15)");
_Static_assert(sizeof(struct bp_e820_entry) == 20, "e820 entry");
_Static_assert(offsetof(struct bp_zero_page, ext_ramdisk_image) == 0x0c0, "ext_ramdisk_image");
_Static_assert(offsetof(struct bp_zero_page, ext_cmd_line_ptr) == 0x0c8, "ext_cmd_line_ptr");
_Static_assert(offsetof(struct bp_zero_page, e820_entries) == 0x1e8, "e820_entries");
_Static_assert(offsetof(struct bp_zero_page, sentinel) == 0x1ef, "sentinel");
_Static_assert(offsetof(struct bp_zero_page, hdr) == BP_HDR_OFFSET, "hdr");
_Static_assert(offsetof(struct bp_zero_page, e820_table) == 0x2d0, "e820_table");
_Static_assert(sizeof(struct bp_zero_page) == 4096, "zero page");

#define BP_HDRS_MAGIC		0x53726448	/* "HdrS" */
#define BP_BOOT_FLAG		0xaa55
#define BP_LOADED_HIGH		0x01		/* loadflags: a bzImage */
#define BP_XLF_KERNEL_64	0x0001		/* xloadflags: entry at +0x200 */
#define BP_LOADER_UNDEFINED	0xff		/* type_of_loader: no assigned id */
#define BP_MIN_PROTOCOL		0x020c		/* 2.12: xloadflags exists */
#define BP_STARTUP_64		0x200		/* 64-bit entry, from the load address */

/*
 * Guest-physical layout of a Linux guest; loader_linux.c explains it.
 * Everything below 1 MiB sits in the first E820 RAM range, which the kernel
 * reclaims once it has copied boot_params and the command line.
 */
#define LINUX_GDT_ADDR		0x1000	/* null, null, __BOOT_CS, __BOOT_DS */
#define LINUX_GDT_LIMIT		(4 * 8 - 1)
#define LINUX_PML4_ADDR		0x2000
#define LINUX_PDPT_ADDR		0x3000
#define LINUX_PD_ADDR		0x4000	/* four PDs, 0x4000-0x7fff */
#define LINUX_STACK_TOP		0x10000	/* 0x8000-0xffff, unused by startup_64 */
#define LINUX_ZERO_PAGE_ADDR	0x10000
#define LINUX_CMDLINE_ADDR	0x20000
#define LINUX_CMDLINE_MAX	0x10000	/* our room at 0x20000, NUL included */
#define LINUX_LOW_RAM_END	0x9fc00	/* 639 KiB, then the legacy hole */
#define LINUX_KERNEL_ADDR	0x100000 /* the bzImage load address */
#define LINUX_BOOT_CS		0x10
#define LINUX_BOOT_DS		0x18
/*
 * vmctl gives a VM one memory slot at 0. A Linux guest keeps 3-4 GiB free
 * for future MMIO (PCI holes live there), and vmctl cannot place RAM above
 * 4 GiB yet, so guest memory stops at 3 GiB.
 */
#define LINUX_MAX_MEM		(3ULL << 30)

/* What vmctl_linux_setup_memory() did, for the register setup and tests. */
struct vmctl_linux_info {
	uint16_t protocol;	/* boot protocol version, 0x020f = 2.15 */
	uint16_t xloadflags;
	uint64_t kernel_addr;	/* GPA of the protected-mode part */
	uint64_t kernel_size;	/* bytes of it copied from the file */
	uint64_t kernel_end;	/* end of what the kernel needs to boot */
	uint64_t entry;		/* startup_64: kernel_addr + 0x200 */
	uint64_t zero_page;	/* GPA of boot_params, RSI at entry */
	uint64_t cmdline_addr;
	uint64_t initrd_addr;	/* 0 without an initrd */
	uint64_t initrd_size;
};

/*
 * loader_linux.c, in two halves so that the first runs without /dev/hvx:
 * fill @vm's memory (only vm->mem and vm->mem_size are used) with the
 * kernel, initrd, command line, boot_params, GDT and page tables; then
 * compute the vCPU state that enters startup_64, starting from @sregs as
 * HVX_GET_SREGS returned it (fields the loader has no opinion on, such as
 * the APIC base, are kept).
 */
int vmctl_linux_setup_memory(struct vmctl_vm *vm, const char *kernel,
			     const char *initrd, const char *cmdline,
			     struct vmctl_linux_info *info);
void vmctl_linux_vcpu_state(const struct vmctl_linux_info *info,
			    struct hvx_sregs *sregs, struct hvx_regs *regs);

/*
 * loader_vmlinux.c: the kernel as an uncompressed ELF vmlinux, which
 * vmctl_linux_setup_memory() takes as well as a bzImage. vmctl_is_vmlinux():
 * whether @head (the file's first @len bytes) starts a 64-bit ELF file.
 * vmctl_vmlinux_parse(): check the file's headers and segments against
 * the file's size and @mem_size of guest memory, write the setup header
 * that the kernel will read into @hdr and where it goes into @info
 * (kernel_addr, kernel_size, kernel_end, entry, protocol, xloadflags);
 * 0, or -1 with the reason on stderr. vmctl_vmlinux_load(): copy the
 * segments into @vm's memory, bss cleared.
 */
bool vmctl_is_vmlinux(const uint8_t *head, size_t len);
int vmctl_vmlinux_parse(int fd, const char *path, uint64_t file_size,
			uint64_t mem_size, struct bp_setup_header *hdr,
			struct vmctl_linux_info *info);
int vmctl_vmlinux_load(int fd, const char *path, uint64_t file_size,
		       struct vmctl_vm *vm);

/*
 * What loader_linux.c shares with loader_multiboot.c, whose guests get the
 * same memory map and are entered the same way, from a GDT of flat
 * segments.
 *
 * vmctl_guest_memory_map(): the map a PC's BIOS reports with INT 15h/E820,
 * RAM [0, LINUX_LOW_RAM_END), reserved up to 1 MiB (where a PC has its
 * EBDA, video memory and ROMs, which drivers may probe, so the kernel must
 * not allocate there), RAM [1 MiB, @mem_size). Fills @map and returns the
 * number of entries.
 */
#define VMCTL_MEMORY_MAP_ENTRIES	3

unsigned int
vmctl_guest_memory_map(uint64_t mem_size,
		       struct bp_e820_entry map[VMCTL_MEMORY_MAP_ENTRIES]);
/*
 * The segment state a boot loader leaves its kernel in: CS @cs and DS, ES,
 * FS, GS, SS @ds, all flat (base 0, limit 4 GiB), their hidden parts as if
 * loaded from the GDT at @gdt_base (limit @gdt_limit), CS 64-bit code if
 * @long_mode and 32-bit code otherwise. TR is a busy TSS, as VM entry wants
 * one; there is no LDT and no IDT (interrupts stay off until the kernel
 * loads its own). CR2 and the reserved fields are zeroed; the other
 * control registers are left to the caller.
 */
void vmctl_boot_segments(struct hvx_sregs *sregs, bool long_mode,
			 uint16_t cs, uint16_t ds, uint64_t gdt_base,
			 uint16_t gdt_limit);
/*
 * The boot vCPU's registers, @vcpu_fd: read the special ones (fields the
 * loaders have no opinion on, such as the APIC base, are kept), then
 * write them back with the general ones. @mode names the CPU mode that
 * HVX_SET_SREGS sets up, for its error message.
 */
int vmctl_boot_vcpu_get(int vcpu_fd, struct hvx_sregs *sregs);
int vmctl_boot_vcpu_set(int vcpu_fd, const struct hvx_sregs *sregs,
			const struct hvx_regs *regs, const char *mode);

#endif /* VMCTL_BOOT_PARAMS_H */
