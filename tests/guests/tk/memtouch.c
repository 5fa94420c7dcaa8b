// SPDX-License-Identifier: GPL-2.0
/*
 * memtouch: the guest of the host's memory tests (overcommit, KSM, a VM's
 * memory.max: tests/testbed/overcommit_test.sh), built with the test
 * kernels' library but not one of tk_test.sh's kernels.
 *
 * It fills all of its RAM above 2 MiB page by page, each page with one
 * 32-bit word made of the page's number and "seed=N" from the command
 * line, then reads it all back "passes=N" times (0: forever, a second
 * apart, until the VM is stopped), in TAP. One word per page because the
 * host's zram keeps a page of one repeated word in no memory at all (a
 * same-filled page): three guests bigger than the testbed then swap
 * without the emulated CPU compressing hundreds of MiB. Two guests of
 * one seed hold the same pages, for KSM to merge. A page that comes back
 * holding another page's word, another guest's or zeros is the host's
 * bug: an EPT entry that outlived the page it mapped.
 */
#include "tk.h"

#define PAGE		4096u
#define RAM_START	0x200000u	/* above the image, the stack, the boot data */
#define TIMER_VEC	0x40
#define MSR_TSC_DEADLINE	0x6e0

/* The one word of page @pfn in a guest of @seed: never zero. */
static u32 word_of(u32 seed, u32 pfn)
{
	u32 v = pfn * 2654435761u ^ (seed + 1) * 0x9e3779b9u;

	v ^= v >> 15;
	return v | 1;
}

/* N of "KEY=N" on the Multiboot command line, @def without one. */
static u32 cmdline_num(u32 mb_info, const char *key, u32 def)
{
	const char *c, *k;
	u32 v;

	if (!(rd32(mb_info) & BIT(2)))
		return def;
	for (c = (const char *)rd32(mb_info + 16); *c;) {
		for (k = key; *k && *c == *k; k++, c++)
			;
		if (!*k && *c == '=') {
			for (v = 0, c++; *c >= '0' && *c <= '9'; c++)
				v = v * 10 + (*c - '0');
			return v;
		}
		while (*c && *c != ' ')		/* on to the next word */
			c++;
		while (*c == ' ')
			c++;
	}
	return def;
}

static void fill(u32 seed, u32 start, u32 end)
{
	u32 a;

	for (a = start; a < end; a += PAGE) {
		u32 *p = (u32 *)a, n = PAGE / 4;

		asm volatile("rep stosl" : "+D"(p), "+c"(n)
			     : "a"(word_of(seed, a / PAGE)) : "memory");
	}
}

/* The first page that does not hold its word, 0 if none; its word in *@got. */
static u32 verify(u32 seed, u32 start, u32 end, u32 *bad_pages, u32 *got)
{
	u32 a, first = 0;

	*bad_pages = 0;
	for (a = start; a < end; a += PAGE) {
		const u32 *p = (const u32 *)a;
		u32 n = PAGE / 4, want = word_of(seed, a / PAGE);

		asm volatile("repe scasl" : "+D"(p), "+c"(n) : "a"(want)
			     : "memory", "cc");
		/* scasl stops after the first mismatch, or ends on the last word. */
		if (n || p[-1] != want) {
			if (!first) {
				first = a;
				*got = p[-1];
			}
			++*bad_pages;
		}
	}
	return first;
}

static void timer_isr(struct tk_frame *f)
{
	apic_eoi();
}

/* Halt for @ms on the TSC-deadline timer: the vCPU sleeps, not spins. */
static void sleep_ms(u32 ms)
{
	u64 end = rdtsc() + tk_ms(ms);

	while (rdtsc() < end) {
		tk_wrmsr(MSR_TSC_DEADLINE, end);
		asm volatile("sti; hlt; cli" ::: "memory");
	}
}

void tk_main(u32 mb_info)
{
	u32 seed = cmdline_num(mb_info, "seed", 0);
	u32 passes = cmdline_num(mb_info, "passes", 1);
	u32 end, bad, got = 0, first, pass;
	u32 r[4];

	if (!(rd32(mb_info) & BIT(0)) || rd32(mb_info + 8) < 4096) {
		tk_check(false, "memory_size_known", "flags %x, mem_upper %u KiB",
			 rd32(mb_info), rd32(mb_info + 8));
		return;
	}
	/* RAM from 1 MiB up to mem_upper, below the 32-bit hole. */
	end = 0x100000u + (rd32(mb_info + 8) & ~3u) * 1024u;
	if (end > 0xc0000000u || end < 0x100000u)
		end = 0xc0000000u;
	cpuid(1, 0, r);
	if (!(r[2] & BIT(24))) {
		tk_check(false, "tsc_deadline_timer", "CPUID.1:ECX %x", r[2]);
		return;
	}
	tk_set_handler(TIMER_VEC, timer_isr);
	tk_apic_enable();
	apic_write(APIC_LVT_TIMER, APIC_TIMER_DEADLINE | TIMER_VEC);

	fill(seed, RAM_START, end);
	tk_printf("# memtouch: filled %u MiB, seed %u\n",
		  (end - RAM_START) >> 20, seed);
	for (pass = 1; !passes || pass <= passes; pass++) {
		if (pass > 1 && !passes)
			sleep_ms(1000);
		first = verify(seed, RAM_START, end, &bad, &got);
		if (first || passes) {
			tk_check(!first, "memory_reads_back",
				 "pass %u: page %x holds %x, not %x; %u bad pages",
				 pass, first, got, word_of(seed, first / PAGE),
				 bad);
			if (first)
				return;
		} else {
			tk_printf("# memtouch: pass %u ok\n", pass);
		}
	}
}
