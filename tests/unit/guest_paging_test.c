// SPDX-License-Identifier: GPL-2.0
/*
 * Cases for hvx_gva_to_gpa(): page tables built in a fake guest memory,
 * one walk per case, checked against translations worked out by hand from
 * SDM Vol. 3A chapter 4. Every read the walker makes is logged so that
 * cases can also check entry sizes and addresses.
 */
#include <errno.h>
#include <string.h>

#include <linux/bits.h>
#include <linux/types.h>

#include "guest_paging.h"
#include "unit.h"

#define MEM_SIZE	BIT(20)	/* fake guest memory: GPA 0 .. 1 MiB */

#define CR0_PE		BIT_ULL(0)
#define CR0_PG		BIT_ULL(31)
#define CR4_PSE		BIT_ULL(4)
#define CR4_PAE		BIT_ULL(5)
#define CR4_LA57	BIT_ULL(12)
#define EFER_LME	BIT_ULL(8)
#define EFER_LMA	BIT_ULL(10)

#define P		BIT_ULL(0)
#define RW		BIT_ULL(1)
#define US		BIT_ULL(2)
#define A		BIT_ULL(5)
#define D		BIT_ULL(6)
#define PS		BIT_ULL(7)
#define PAT_LARGE	BIT_ULL(12)	/* PAT bit of a large-page entry */
#define NX		BIT_ULL(63)

static u8 mem[MEM_SIZE];

static struct {
	unsigned int n;
	u64 gpa[8];
	unsigned int len[8];
} reads;

static int fake_read(void *opaque, u64 gpa, void *buf, unsigned int len)
{
	if (opaque != mem)
		return -EBADF;
	if (reads.n < 8) {
		reads.gpa[reads.n] = gpa;
		reads.len[reads.n] = len;
	}
	reads.n++;
	if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
		return -EIO;
	memcpy(buf, mem + gpa, len);
	return 0;
}

static void put32(u64 gpa, u32 val)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		mem[gpa + i] = val >> (8 * i);
}

static void put64(u64 gpa, u64 val)
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		mem[gpa + i] = val >> (8 * i);
}

/*
 * Fill memory with a pattern that has P set in every byte, so that an
 * entry read from the wrong place is "present" and garbage, not -EFAULT.
 */
static void reset(void)
{
	memset(mem, 0xa5, sizeof(mem));
	memset(&reads, 0, sizeof(reads));
}

static void clear_table(u64 gpa)
{
	memset(mem + gpa, 0, 4096);
}

static struct hvx_paging_ctx ctx_for(u64 cr0, u64 cr3, u64 cr4, u64 efer)
{
	struct hvx_paging_ctx ctx = {
		.cr0 = cr0, .cr3 = cr3, .cr4 = cr4, .efer = efer,
		.read_gpa = fake_read, .opaque = mem,
	};

	return ctx;
}

#define PG32		(CR0_PE | CR0_PG)
#define LONG_EFER	(EFER_LME | EFER_LMA)

/* Walk and check the outcome; @want_ret 0 means translate to @want. */
static void expect(const struct hvx_paging_ctx *ctx, u64 gva, int want_ret,
		   u64 want, const char *name)
{
	struct tcase tc;
	u64 gpa = 0xdeadbeefdeadbeefULL;
	int ret;

	case_begin(&tc);
	reads.n = 0;
	ret = hvx_gva_to_gpa(ctx, gva, &gpa);
	check(&tc, ret == want_ret, "returned %d, want %d", ret, want_ret);
	if (!ret && !want_ret)
		check(&tc, gpa == want, "gpa %#llx, want %#llx",
		      (unsigned long long)gpa, (unsigned long long)want);
	case_end(&tc, "paging: %s", name);
}

/* After the last expect(): were the reads these (gpa, len) pairs? */
static void expect_reads(const char *name, unsigned int n, const u64 *gpa,
			 unsigned int len)
{
	struct tcase tc;
	unsigned int i;

	case_begin(&tc);
	check(&tc, reads.n == n, "%u reads, want %u", reads.n, n);
	for (i = 0; i < n && i < reads.n; i++) {
		check(&tc, reads.gpa[i] == gpa[i],
		      "read %u at %#llx, want %#llx", i,
		      (unsigned long long)reads.gpa[i],
		      (unsigned long long)gpa[i]);
		check(&tc, reads.len[i] == len, "read %u of %u bytes, want %u",
		      i, reads.len[i], len);
	}
	case_end(&tc, "paging: %s", name);
}

static void no_paging(void)
{
	struct hvx_paging_ctx ctx;

	reset();
	ctx = ctx_for(0, 0x1000, 0, 0);
	expect(&ctx, 0xffff0, 0, 0xffff0, "CR0.PG=0, real mode: identity");
	ctx = ctx_for(CR0_PE, 0x1000, CR4_PAE, 0);
	expect(&ctx, 0xfee00000, 0, 0xfee00000,
	       "CR0.PG=0, protected mode: identity");
	expect(&ctx, 0x100001000ULL, 0, 0x1000,
	       "CR0.PG=0: linear address wraps at 4 GiB");
}

/*
 * 32-bit paging. The page directory is at 0x1000, page tables at 0x2000
 * and 0x3000.
 */
static void paging_32bit(void)
{
	static const u64 walk[] = { 0x1004, 0x200c };
	struct hvx_paging_ctx ctx;

	reset();
	clear_table(0x1000);
	clear_table(0x2000);
	/* 0x00403abc: PDE 1, PTE 3, offset 0xabc. */
	put32(0x1000 + 1 * 4, 0x2000 | P | RW | US);
	put32(0x2000 + 3 * 4, 0x00777000 | P | RW | A | D);
	/* 0xc0123456: PDE 0x300 maps a 4-MByte page at 8 MiB. */
	put32(0x1000 + 0x300 * 4, 0x00800000 | PS | P | RW);
	/* 0xc0400000: PDE 0x301, 4-MByte page with PSE-36 and PAT bits. */
	put32(0x1000 + 0x301 * 4,
	      0x00c00000 | (0x5aULL << 13) | PAT_LARGE | PS | P);
	/* 0x00800010: PDE 2 has PS but CR4.PSE=0 reads it as a table. */
	clear_table(0x3000);
	put32(0x1000 + 2 * 4, 0x3000 | PS | P);
	put32(0x3000 + 0 * 4, 0x00456000 | P);
	/* 0x00c00000: PDE 3 not present. */
	/* 0x00404000: PDE 1, PTE 4 not present. */

	ctx = ctx_for(PG32, 0x1000, 0, 0);
	expect(&ctx, 0x00403abc, 0, 0x00777abc, "32-bit: 4-KByte page");
	expect_reads("32-bit: reads a 4-byte PDE and PTE", 2, walk, 4);

	ctx = ctx_for(PG32, 0xffffffff00001018ULL, 0, 0);
	expect(&ctx, 0x00403abc, 0, 0x00777abc,
	       "32-bit: CR3 bits 63:32 and PCD/PWT ignored");
	expect(&ctx, 0xffffffff00403abcULL, 0, 0x00777abc,
	       "32-bit: linear bits 63:32 ignored");

	ctx = ctx_for(PG32, 0x1000, CR4_PSE, 0);
	expect(&ctx, 0xc0123456, 0, 0x00923456,
	       "32-bit: 4-MByte page (CR4.PSE)");
	expect(&ctx, 0xc0654321, 0, 0x5a00e54321ULL,
	       "32-bit: 4-MByte page, PSE-36 bits 39:32, PAT ignored");
	expect(&ctx, 0x00403abc, 0, 0x00777abc,
	       "32-bit: 4-KByte page with CR4.PSE");

	ctx = ctx_for(PG32, 0x1000, 0, 0);
	expect(&ctx, 0x00800010, 0, 0x00456010,
	       "32-bit: PDE.PS ignored without CR4.PSE");
	expect(&ctx, 0x00c00000, -EFAULT, 0, "32-bit: PDE not present");
	expect(&ctx, 0x00404000, -EFAULT, 0, "32-bit: PTE not present");
}

/*
 * PAE paging. CR3 = 0x1020 (32-byte aligned, not page aligned) holds the
 * PDPTEs; page directories at 0x2000 and 0x4000, page table at 0x3000.
 */
static void paging_pae(void)
{
	static const u64 walk[] = { 0x1038, 0x2008, 0x3008 };
	struct hvx_paging_ctx ctx;

	reset();
	clear_table(0x1000);
	clear_table(0x2000);
	clear_table(0x3000);
	clear_table(0x4000);
	/* 0xc0201234: PDPTE 3, PDE 1, PTE 1, offset 0x234. */
	put64(0x1020 + 3 * 8, 0x2000 | P);
	put64(0x2000 + 1 * 8, 0x3000 | P | RW);
	put64(0x3000 + 1 * 8, 0xabcdef000ULL | NX | P | RW);
	/* 0xc0654321: PDPTE 3, PDE 3 maps a 2-MByte page above 4 GiB. */
	put64(0x2000 + 3 * 8, 0x1234600000ULL | PAT_LARGE | PS | P);
	/* 0x40000000: PDPTE 1 not present. */
	/* 0x00000000: PDPTE 0 -> 0x4000, whose PDE 0 is not present. */
	put64(0x1020 + 0 * 8, 0x4000 | P);
	/* 0xc0202000: PTE 2 not present. */
	/* The same entries with PS set in a PTE: that is PAT, not size. */
	put64(0x3000 + 5 * 8, 0x00555000ULL | PS | P);

	ctx = ctx_for(PG32, 0x1020, CR4_PAE, 0);
	expect(&ctx, 0xc0201234, 0, 0xabcdef234ULL,
	       "PAE: 4-KByte page above 4 GiB, NX ignored");
	expect_reads("PAE: reads 8-byte PDPTE, PDE, PTE from CR3[31:5]", 3,
		     walk, 8);
	expect(&ctx, 0xc0654321, 0, 0x1234654321ULL,
	       "PAE: 2-MByte page, PAT bit ignored");
	expect(&ctx, 0xc0205678, 0, 0x00555678,
	       "PAE: PTE bit 7 is PAT, not a page size");
	expect(&ctx, 0x40000000, -EFAULT, 0, "PAE: PDPTE not present");
	expect(&ctx, 0x00000000, -EFAULT, 0, "PAE: PDE not present");
	expect(&ctx, 0xc0202000, -EFAULT, 0, "PAE: PTE not present");

	ctx = ctx_for(PG32, 0x1020, CR4_PAE | CR4_PSE, 0);
	expect(&ctx, 0x1c0201234ULL, 0, 0xabcdef234ULL,
	       "PAE: linear bits 63:32 ignored, CR4.PSE irrelevant");
}

/*
 * 4-level paging. PML4 at 0x1000 (CR3 carries a PCID), PDPTs at 0x2000
 * and 0x6000, page directory at 0x3000, page table at 0x4000.
 */
static void paging_4level(void)
{
	static const u64 walk[] = { 0x17f8, 0x2488, 0x38d0, 0x4f00 };
	static const u64 pae_pdpte3[] = { 0x1018 };
	struct hvx_paging_ctx ctx;
	/* Bits 62:52 are ignored or protection keys, never address. */
	const u64 high = NX | (0x7ffULL << 52);

	reset();
	clear_table(0x1000);
	clear_table(0x2000);
	clear_table(0x3000);
	clear_table(0x4000);
	clear_table(0x6000);
	/*
	 * 0x00007fa4635e0abc: PML4E 0xff, PDPTE 0x091, PDE 0x11a,
	 * PTE 0x1e0, offset 0xabc.
	 */
	put64(0x1000 + 0xff * 8, 0x2000 | P | RW | US);
	put64(0x2000 + 0x091 * 8, 0x3000 | P | RW | US);
	put64(0x3000 + 0x11a * 8, 0x4000 | P | RW | US);
	put64(0x4000 + 0x1e0 * 8, 0x000fedcba9876000ULL | high | P);
	/* 0x00007fa46d400000 + x: PDE 0x16a maps a 2-MByte page. */
	put64(0x3000 + 0x16a * 8, 0x0000123456a00000ULL | high | PS | P);
	/* 0x00007f8c40000000 + x: PDPTE 0x031 maps a 1-GByte page. */
	put64(0x2000 + 0x031 * 8, 0x000abcdc0000000ULL | PAT_LARGE | PS | P);
	/* 0xffff800000201000: PML4E 0x100 -> 0x6000, PDPTE 0 -> 0x3000. */
	put64(0x1000 + 0x100 * 8, 0x6000 | P);
	put64(0x6000 + 0 * 8, 0x3000 | P);
	put64(0x3000 + 1 * 8, 0x4000 | P);
	put64(0x4000 + 1 * 8, 0x00222000 | P);

	ctx = ctx_for(PG32, 0x1000 | 0x123, CR4_PAE, LONG_EFER);
	expect(&ctx, 0x00007fa4635e0abcULL, 0, 0x000fedcba9876abcULL,
	       "4-level: 4-KByte page, bits 63:52 of the PTE ignored");
	expect_reads("4-level: reads 8-byte PML4E, PDPTE, PDE, PTE", 4,
		     walk, 8);
	expect(&ctx, 0x00007fa46d4fedcbULL, 0, 0x0000123456afedcbULL,
	       "4-level: 2-MByte page");
	expect(&ctx, 0x00007f8c4abcdef0ULL, 0, 0x000abcdcabcdef0ULL,
	       "4-level: 1-GByte page, PAT bit ignored");
	expect(&ctx, 0xffff800000201234ULL, 0, 0x00222234,
	       "4-level: upper half (PML4E 256)");
	expect(&ctx, 0x0000000000000000ULL, -EFAULT, 0,
	       "4-level: PML4E not present");
	expect(&ctx, 0x00007f8000000000ULL, -EFAULT, 0,
	       "4-level: PDPTE not present");
	expect(&ctx, 0x00007fa440000000ULL, -EFAULT, 0,
	       "4-level: PDE not present");
	expect(&ctx, 0x00007fa463400000ULL, -EFAULT, 0,
	       "4-level: PTE not present");

	ctx = ctx_for(PG32, 0x1000, CR4_PAE | CR4_LA57, LONG_EFER);
	expect(&ctx, 0x1000, -EOPNOTSUPP, 0, "5-level paging unsupported");
	ctx = ctx_for(PG32, 0x1000, 0, LONG_EFER);
	expect(&ctx, 0x1000, -EINVAL, 0, "EFER.LMA without CR4.PAE");
	ctx = ctx_for(PG32, 0x1000, CR4_PAE, EFER_LME);
	expect(&ctx, 0xc0201234, -EFAULT, 0,
	       "EFER.LME without LMA is PAE paging, not 4-level");
	expect_reads("EFER.LME without LMA: one 8-byte PDPTE read", 1,
		     pae_pdpte3, 8);
	ctx = ctx_for(PG32, 0x200000, CR4_PAE, LONG_EFER);
	expect(&ctx, 0x1000, -EIO, 0,
	       "read_gpa error is passed on (CR3 outside memory)");
}

/*
 * Permissions, as INS/OUTS emulation asks for them: the rights of a
 * translation are the AND of every level's R/W and U/S (SDM Vol. 3A
 * 4.6); CR0.WP decides whether a supervisor write honours R/W.
 */
static void access_rights(void)
{
	struct hvx_paging_ctx ctx;

	reset();
	clear_table(0x1000);
	clear_table(0x2000);
	clear_table(0x3000);
	clear_table(0x4000);
	/* GVA 0x0: all levels user + writable, leaf read-only. */
	put64(0x1000, 0x2000 | P | RW | US);
	put64(0x2000, 0x3000 | P | RW | US);
	put64(0x3000, 0x4000 | P | RW | US);
	put64(0x4000 + 0 * 8, 0x10000 | P | US);		/* page 0: RO */
	put64(0x4000 + 1 * 8, 0x11000 | P | RW | US);	/* page 1: RW */
	put64(0x4000 + 2 * 8, 0x12000 | P | RW);	/* page 2: kernel */
	/* GVA 0x200000: the PDE is read-only, the PTE writable. */
	put64(0x3000 + 1 * 8, 0x5000 | P | US);
	clear_table(0x5000);
	put64(0x5000, 0x13000 | P | RW | US);

	ctx = ctx_for(PG32 | BIT_ULL(16), 0x1000, CR4_PAE, LONG_EFER);
	ctx.access = HVX_ACCESS_WRITE;
	expect(&ctx, 0x0010, -EACCES, 0, "access: supervisor write, RO page, WP=1");
	expect(&ctx, 0x1010, 0, 0x11010, "access: supervisor write, RW page");
	expect(&ctx, 0x200010, -EACCES, 0,
	       "access: a read-only PDE makes the page read-only");
	ctx.access = HVX_ACCESS_WRITE | HVX_ACCESS_USER;
	expect(&ctx, 0x1010, 0, 0x11010, "access: user write, RW user page");
	expect(&ctx, 0x2010, -EACCES, 0, "access: user write, kernel page");
	ctx.access = HVX_ACCESS_USER;
	expect(&ctx, 0x0010, 0, 0x10010, "access: user read, RO user page");
	expect(&ctx, 0x2010, -EACCES, 0, "access: user read, kernel page");
	expect(&ctx, 0x3010, -EFAULT, 0, "access: not present wins");
	ctx.access = 0;
	expect(&ctx, 0x2010, 0, 0x12010, "access: none asked, none checked");

	ctx = ctx_for(PG32, 0x1000, CR4_PAE, LONG_EFER);	/* WP=0 */
	ctx.access = HVX_ACCESS_WRITE;
	expect(&ctx, 0x0010, 0, 0x10010,
	       "access: supervisor write ignores R/W with CR0.WP=0");
	ctx.access = HVX_ACCESS_WRITE | HVX_ACCESS_USER;
	expect(&ctx, 0x0010, -EACCES, 0,
	       "access: user write honours R/W even with CR0.WP=0");

	/* 32-bit paging: the PDE's and the PTE's bits combine too. */
	reset();
	clear_table(0x1000);
	clear_table(0x2000);
	put32(0x1000, 0x2000 | P | RW);			/* kernel PDE */
	put32(0x2000, 0x30000 | P | RW | US);
	ctx = ctx_for(PG32 | BIT_ULL(16), 0x1000, 0, 0);
	ctx.access = HVX_ACCESS_USER;
	expect(&ctx, 0x0123, -EACCES, 0, "access: 32-bit, kernel PDE");
	ctx.access = HVX_ACCESS_WRITE;
	expect(&ctx, 0x0123, 0, 0x30123, "access: 32-bit, supervisor write");
}

void guest_paging_tests(void)
{
	no_paging();
	paging_32bit();
	paging_pae();
	paging_4level();
	access_rights();
}
