// SPDX-License-Identifier: GPL-2.0
/*
 * tk_boot: what a Multiboot 1 boot loader hands over ("The Multiboot
 * Specification version 0.6.96", 3.3), to a kernel linked low (at
 * 0x8000, see the Makefile) so that the loader must keep its structures
 * out of the kernel's way: the information structure, memory map, command
 * line and module list nowhere in the image, the memory map and mem_upper
 * agreeing, and the modules tk_test.sh passes (two of the test kernels'
 * ELF files, the first with a string after its path) page-aligned, intact
 * (an ELF file's section headers end it) and named by their strings.
 */
#include "tk.h"

#define MB_INFO_MEMORY	BIT(0)
#define MB_INFO_CMDLINE	BIT(2)
#define MB_INFO_MODS	BIT(3)
#define MB_INFO_MEM_MAP	BIT(6)

struct mb_info {
	u32 flags, mem_lower, mem_upper, boot_device, cmdline;
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
} __packed;

struct mb_module {
	u32 start, end, string, reserved;
};

struct mb_mmap {
	u32 size;
	u64 addr, len;
	u32 type;
} __packed;

extern const u8 __image_start[], __image_end[];

/* Whether [a, a + len) is clear of the kernel image. */
static bool outside(u32 a, u32 len)
{
	return a + len <= (u32)__image_start || a >= (u32)__image_end;
}

static u32 slen(const char *s)
{
	u32 n = 0;

	while (s[n])
		n++;
	return n;
}

static bool ends_with(const char *s, const char *tail)
{
	u32 a = slen(s), b = slen(tail), i;

	if (b > a)
		return false;
	for (i = 0; i < b; i++)
		if (s[a - b + i] != tail[i])
			return false;
	return true;
}

/* An ELF32 file's size as ld writes it: the section headers come last. */
static u32 elf_size(u32 start)
{
	if (rd32(start) != 0x464c457f)		/* "\x7fELF" */
		return 0;
	return rd32(start + 32) + (u32)rd16(start + 46) * rd16(start + 48);
}

static void memory_map(const struct mb_info *mbi)
{
	u32 p, ram_above_1m = 0, bad = 0;

	if (!tk_check(mbi->flags & MB_INFO_MEM_MAP, "memory_map_given",
		      "flags %x", mbi->flags))
		return;
	tk_check(outside(mbi->mmap_addr, mbi->mmap_length),
		 "memory_map_outside_the_kernel", "at %x", mbi->mmap_addr);
	for (p = mbi->mmap_addr; p < mbi->mmap_addr + mbi->mmap_length;
	     p += rd32(p) + 4) {
		const struct mb_mmap *e = (const struct mb_mmap *)p;

		if (e->size < 20)
			bad++;
		if (e->type == 1 && e->addr <= 0x100000 &&
		    e->addr + e->len > 0x100000)
			ram_above_1m = (u32)(e->addr + e->len - 0x100000);
		/* The kernel itself is in RAM. */
		if (e->type != 1 && e->addr < (u32)__image_end &&
		    e->addr + e->len > (u32)__image_start)
			bad++;
	}
	/* mem_upper: KiB from 1 MiB to the first hole (3.3). */
	tk_check(!bad && ram_above_1m / 1024 == mbi->mem_upper,
		 "memory_map_agrees_with_mem_upper",
		 "%u bad entries, %u KiB of RAM above 1 MiB, mem_upper %u", bad,
		 ram_above_1m / 1024, mbi->mem_upper);
}

static void modules(const struct mb_info *mbi)
{
	const struct mb_module *m = (const struct mb_module *)mbi->mods_addr;
	u32 i, bad = 0;

	if (!tk_check((mbi->flags & MB_INFO_MODS) && mbi->mods_count == 2,
		      "two_modules_given", "flags %x, %u modules", mbi->flags,
		      mbi->mods_count))
		return;
	tk_check(outside(mbi->mods_addr, 2 * sizeof(*m)),
		 "module_list_outside_the_kernel", "at %x", mbi->mods_addr);
	for (i = 0; i < 2; i++) {
		if ((m[i].start & 0xfff) || !outside(m[i].start, m[i].end - m[i].start) ||
		    !outside(m[i].string, slen((const char *)m[i].string) + 1))
			bad++;
		if (i && m[i].start < m[i - 1].end)
			bad++;
	}
	tk_check(!bad, "modules_page_aligned_apart_and_outside_the_kernel",
		 "[%x, %x) and [%x, %x)", m[0].start, m[0].end, m[1].start,
		 m[1].end);
	tk_check(elf_size(m[0].start) == m[0].end - m[0].start &&
		 elf_size(m[1].start) == m[1].end - m[1].start,
		 "modules_intact", "sizes %u and %u, ELF files of %u and %u",
		 m[0].end - m[0].start, m[1].end - m[1].start,
		 elf_size(m[0].start), elf_size(m[1].start));
	tk_check(ends_with((const char *)m[0].string, "tk_cpu.elf one two") &&
		 ends_with((const char *)m[1].string, "tk_apic.elf"),
		 "module_strings", "'%s' and '%s'", (const char *)m[0].string,
		 (const char *)m[1].string);
}

void tk_main(u32 mb_info)
{
	const struct mb_info *mbi = (const struct mb_info *)mb_info;

	tk_check((u32)__image_start == 0x8000, "linked_low",
		 "image at %x", (u32)__image_start);
	tk_check(outside(mb_info, sizeof(*mbi)), "info_outside_the_kernel",
		 "info at %x, kernel [%x, %x)", mb_info, (u32)__image_start,
		 (u32)__image_end);
	tk_check((mbi->flags & MB_INFO_CMDLINE) &&
		 outside(mbi->cmdline, slen((const char *)mbi->cmdline) + 1) &&
		 ends_with((const char *)mbi->cmdline, "mib=32"),
		 "command_line_outside_the_kernel", "flags %x cmdline at %x",
		 mbi->flags, mbi->cmdline);
	tk_check(mbi->flags & MB_INFO_MEMORY && mbi->mem_lower >= 600 &&
		 mbi->mem_lower <= 640, "mem_lower", "flags %x mem_lower %u",
		 mbi->flags, mbi->mem_lower);
	memory_map(mbi);
	modules(mbi);
}
