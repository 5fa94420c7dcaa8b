/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Multiboot (version 1) kernels: the header vmctl looks for in the image,
 * the information structure it hands the kernel in EBX, the guest-physical
 * layout it uses, and the two halves of the loader (the first runs without
 * /dev/hvx, for the unit tests).
 *
 * Structures follow "The Multiboot Specification version 0.6.96", sections
 * 3.1 "OS image format" and 3.3 "Boot information format". They are written
 * from its tables; the _Static_asserts pin each field to its documented
 * offset. All fields are little-endian, as on every host vmctl runs on.
 */
#ifndef VMCTL_LOADER_MULTIBOOT_H
#define VMCTL_LOADER_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/hvx.h>

struct vmctl_vm;

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "Multiboot structures are little-endian");

/* 3.1.1: the header, 4-byte aligned within the image's first 8192 bytes. */
struct mb_header {
	uint32_t magic;			/* MB_HEADER_MAGIC */
	uint32_t flags;			/* MB_HF_* */
	uint32_t checksum;		/* magic + flags + checksum == 0 */
	/* Valid with MB_HF_AOUT_KLUDGE: */
	uint32_t header_addr;		/* physical address of magic */
	uint32_t load_addr;		/* where the file's load part starts */
	uint32_t load_end_addr;		/* its end; 0: the rest of the file */
	uint32_t bss_end_addr;		/* end of what is zeroed; 0: no bss */
	uint32_t entry_addr;
	/* Valid with MB_HF_VIDEO_MODE (vmctl ignores them): */
	uint32_t mode_type, width, height, depth;
} __attribute__((packed));

#define MB_HEADER_MAGIC		0x1badb002
#define MB_SEARCH_LIMIT		8192	/* the header is within these bytes */
#define MB_HEADER_MIN		12	/* magic, flags, checksum */
#define MB_HEADER_AOUT		32	/* ... up to entry_addr */

/* Header flags. Bits 0-15 are requirements, 16-31 optional features. */
#define MB_HF_PAGE_ALIGN	(1U << 0)	/* modules page-aligned */
#define MB_HF_MEMORY_INFO	(1U << 1)	/* mem_* (and mmap) wanted */
#define MB_HF_VIDEO_MODE	(1U << 2)	/* a video mode table wanted */
#define MB_HF_AOUT_KLUDGE	(1U << 16)	/* the address fields are valid */
/* The requirements vmctl meets (video: see loader_multiboot.c). */
#define MB_HF_KNOWN_REQUIRED	(MB_HF_PAGE_ALIGN | MB_HF_MEMORY_INFO | \
				 MB_HF_VIDEO_MODE)

/* 3.2: EAX at entry. */
#define MB_BOOTLOADER_MAGIC	0x2badb002

/* 3.3: the information structure, EBX at entry. */
struct mb_info {
	uint32_t flags;			/* 0: MB_INFO_* */
	uint32_t mem_lower;		/* 4: KiB from 0 */
	uint32_t mem_upper;		/* 8: KiB from 1 MiB */
	uint32_t boot_device;		/* 12 */
	uint32_t cmdline;		/* 16: physical address of a C string */
	uint32_t mods_count;		/* 20 */
	uint32_t mods_addr;		/* 24: struct mb_module[mods_count] */
	uint32_t syms[4];		/* 28: a.out or ELF section symbols */
	uint32_t mmap_length;		/* 44: bytes */
	uint32_t mmap_addr;		/* 48: the first entry's size field */
	uint32_t drives_length;		/* 52 */
	uint32_t drives_addr;		/* 56 */
	uint32_t config_table;		/* 60 */
	uint32_t boot_loader_name;	/* 64 */
	uint32_t apm_table;		/* 68 */
	uint32_t vbe_control_info;	/* 72 */
	uint32_t vbe_mode_info;		/* 76 */
	uint16_t vbe_mode;		/* 80 */
	uint16_t vbe_interface_seg;	/* 82 */
	uint16_t vbe_interface_off;	/* 84 */
	uint16_t vbe_interface_len;	/* 86 */
	uint64_t framebuffer_addr;	/* 88 */
	uint32_t framebuffer_pitch;	/* 96 */
	uint32_t framebuffer_width;	/* 100 */
	uint32_t framebuffer_height;	/* 104 */
	uint8_t framebuffer_bpp;	/* 108 */
	uint8_t framebuffer_type;	/* 109 */
	uint8_t color_info[6];		/* 110 */
} __attribute__((packed));

#define MB_INFO_MEMORY		(1U << 0)
#define MB_INFO_CMDLINE		(1U << 2)
#define MB_INFO_MODS		(1U << 3)
#define MB_INFO_MEM_MAP		(1U << 6)
#define MB_INFO_LOADER_NAME	(1U << 9)
#define MB_INFO_VBE		(1U << 11)	/* never set by vmctl */
#define MB_INFO_FRAMEBUFFER	(1U << 12)	/* never set by vmctl */

/* One module: [mod_start, mod_end) and its string. */
struct mb_module {
	uint32_t mod_start;
	uint32_t mod_end;
	uint32_t string;
	uint32_t reserved;		/* 0 */
} __attribute__((packed));

/*
 * One memory map entry. mmap_addr points at @size, which counts the bytes
 * after it (20), "used for skipping to the next pair".
 */
struct mb_mmap_entry {
	uint32_t size;
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;			/* MB_MEMORY_* */
} __attribute__((packed));

#define MB_MEMORY_AVAILABLE	1
#define MB_MEMORY_RESERVED	2

_Static_assert(sizeof(struct mb_header) == 48, "Multiboot header");
_Static_assert(offsetof(struct mb_header, header_addr) == 12, "header_addr");
_Static_assert(offsetof(struct mb_header, entry_addr) == 28, "entry_addr");
_Static_assert(offsetof(struct mb_info, cmdline) == 16, "cmdline");
_Static_assert(offsetof(struct mb_info, mods_addr) == 24, "mods_addr");
_Static_assert(offsetof(struct mb_info, mmap_length) == 44, "mmap_length");
_Static_assert(offsetof(struct mb_info, mmap_addr) == 48, "mmap_addr");
_Static_assert(offsetof(struct mb_info, boot_loader_name) == 64, "boot_loader_name");
_Static_assert(offsetof(struct mb_info, vbe_mode) == 80, "vbe_mode");
_Static_assert(offsetof(struct mb_info, framebuffer_addr) == 88, "framebuffer_addr");
_Static_assert(offsetof(struct mb_info, color_info) == 110, "color_info");
_Static_assert(sizeof(struct mb_info) == 116, "Multiboot information");
_Static_assert(sizeof(struct mb_module) == 16, "module");
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "mmap entry");

/*
 * vmctl's own structures in a Multiboot guest's memory, one block (the
 * "boot block", loader_multiboot.c explains where it goes): offsets from
 * its base, which is page-aligned.
 */
#define MB_BLOCK_GDT		0x0000	/* null, code 0x08, data 0x10 */
#define MB_GDT_LIMIT		(3 * 8 - 1)
#define MB_BOOT_CS		0x08
#define MB_BOOT_DS		0x10
#define MB_BLOCK_INFO		0x1000	/* struct mb_info, EBX at entry */
#define MB_BLOCK_MMAP		0x1100	/* the struct mb_mmap_entry's */
#define MB_BLOCK_LOADER_NAME	0x1200	/* "vmctl" */
#define MB_BLOCK_MODS		0x2000	/* struct mb_module[], one page */
#define MB_MAX_MODULES		(4096 / sizeof(struct mb_module))
#define MB_BLOCK_STRINGS	0x3000	/* the command line, then the modules' */
#define MB_STACK_SIZE		0x4000	/* at the block's end: ESP, a courtesy */
#define MB_CMDLINE_MAX		0x10000	/* NUL included */
#define MB_MOD_STRINGS_MAX	0x10000	/* all of them, NULs included */
#define MB_LOAD_MIN		0x1000	/* kernels load at or above this */

/* What vmctl_multiboot_setup_memory() did, for the registers and tests. */
struct vmctl_multiboot_info {
	uint32_t header_offset;	/* of the Multiboot header in the file */
	uint32_t header_flags;
	bool aout_kludge;	/* loaded by the header's addresses, not ELF */
	uint32_t entry;		/* EIP at entry (a physical address) */
	uint32_t info_addr;	/* EBX at entry: block_addr + MB_BLOCK_INFO */
	uint32_t block_addr;	/* the boot block: GDT, information, stack */
	uint32_t block_size;
	uint32_t stack_top;	/* ESP at entry, the block's end */
	uint64_t kernel_start;	/* lowest byte loaded */
	uint64_t kernel_end;	/* end of the highest, bss included */
	uint64_t modules_end;	/* end of the last module, or kernel_end */
	unsigned int nmodules;
};

/*
 * Whether @image (the first @len bytes of a file, more than MB_SEARCH_LIMIT
 * need not be given) has a Multiboot 1 header: the magic at a 4-byte
 * aligned offset below 8192 with a checksum that matches.
 */
bool vmctl_is_multiboot(const uint8_t *image, size_t len);

/*
 * The first half: fill @vm's memory (only vm->mem and vm->mem_size are
 * used) with the kernel at @path, the @nmodules @modules, the command line
 * (NULL is empty), the information structure and a GDT. Each module is
 * "PATH" or "PATH STRING...": the file is PATH, up to the first space, and
 * the whole element is the module's string, as QEMU's -initrd and GRUB's
 * "module" command make it. Nothing is written unless everything fits.
 */
int vmctl_multiboot_setup_memory(struct vmctl_vm *vm, const char *path,
				 const char *cmdline,
				 const char *const *modules,
				 unsigned int nmodules,
				 struct vmctl_multiboot_info *info);
/*
 * The entry state of section 3.2 "Machine state", starting from @sregs as
 * HVX_GET_SREGS returned it (the APIC base and CR8 are kept).
 */
void vmctl_multiboot_vcpu_state(const struct vmctl_multiboot_info *info,
				struct hvx_sregs *sregs, struct hvx_regs *regs);

/*
 * Both halves, and the registers of the vCPU. Guest memory must be more
 * than 1 MiB and at most 3 GiB (the Linux guests' limit, LINUX_MAX_MEM).
 */
int vmctl_load_multiboot(struct vmctl_vm *vm, const char *path,
			 const char *cmdline, const char *const *modules,
			 unsigned int nmodules);

#endif /* VMCTL_LOADER_MULTIBOOT_H */
