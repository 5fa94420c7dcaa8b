// SPDX-License-Identifier: GPL-2.0
/*
 * Software walk of the guest's page tables (SDM Vol. 3A chapter 4).
 *
 * The walk reads the tables through ctx->read_gpa on every call: nothing
 * is cached, so a guest that has just rewritten its tables is seen as it
 * is now. Entries are read in the size the paging mode uses and composed
 * little-endian byte by byte, as the guest wrote them.
 */

#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/types.h>

#include "guest_paging.h"

/* The register bits that select the paging mode (SDM Vol. 3A 4.1.1). */
#define HVX_CR0_WP	BIT_ULL(16)
#define HVX_CR0_PG	BIT_ULL(31)
#define HVX_CR4_PSE	BIT_ULL(4)
#define HVX_CR4_PAE	BIT_ULL(5)
#define HVX_CR4_LA57	BIT_ULL(12)
#define HVX_EFER_LMA	BIT_ULL(10)

/* Paging-structure entry bits common to every mode. */
#define HVX_PTE_P	BIT_ULL(0)
#define HVX_PTE_RW	BIT_ULL(1)
#define HVX_PTE_US	BIT_ULL(2)
#define HVX_PTE_PS	BIT_ULL(7)

/*
 * Bits 51:12 of a PAE or 4-level entry address the next table or the page
 * (M = 52, the architectural maximum; SDM Vol. 3A 4.4.2, 4.5.4). A smaller
 * MAXPHYADDR makes the bits above it reserved, and those are not checked.
 */
#define HVX_PTE_ADDR	GENMASK_ULL(51, 12)

/* 32-bit paging: CR3 and entries hold bits 31:12 of the address. */
#define HVX_PTE32_ADDR	GENMASK_ULL(31, 12)

/*
 * Read the @size-byte entry at @gpa into *@entry. A clear P bit ends the
 * walk: there is no translation, the guest itself would take a #PF.
 */
static int hvx_read_entry(const struct hvx_paging_ctx *ctx, u64 gpa,
			  unsigned int size, u64 *entry)
{
	u8 buf[8];
	unsigned int i;
	int ret;

	ret = ctx->read_gpa(ctx->opaque, gpa, buf, size);
	if (ret)
		return ret;
	*entry = 0;
	for (i = 0; i < size; i++)
		*entry |= (u64)buf[i] << (8 * i);
	return (*entry & HVX_PTE_P) ? 0 : -EFAULT;
}

/*
 * The access rights of a translation are those every entry on the way
 * grants, ANDed (@rights: the R/W and U/S bits of all of them). A
 * supervisor write ignores R/W while CR0.WP is clear (SDM Vol. 3A 4.6.1).
 */
static int hvx_check_access(const struct hvx_paging_ctx *ctx, u64 rights)
{
	bool user = ctx->access & HVX_ACCESS_USER;

	if (user && !(rights & HVX_PTE_US))
		return -EACCES;
	if ((ctx->access & HVX_ACCESS_WRITE) && !(rights & HVX_PTE_RW) &&
	    (user || (ctx->cr0 & HVX_CR0_WP)))
		return -EACCES;
	return 0;
}

/*
 * 32-bit paging (SDM Vol. 3A 4.3): a page directory and page tables of
 * 1024 4-byte entries. A PDE with PS set maps a 4-MByte page only when
 * CR4.PSE is set; otherwise PS is ignored and the PDE points to a table.
 */
static int hvx_walk_32bit(const struct hvx_paging_ctx *ctx, u32 va, u64 *gpa)
{
	u64 pde, pte;
	int ret;

	ret = hvx_read_entry(ctx, (ctx->cr3 & HVX_PTE32_ADDR) +
			     (va >> 22) * 4, 4, &pde);
	if (ret)
		return ret;

	if ((ctx->cr4 & HVX_CR4_PSE) && (pde & HVX_PTE_PS)) {
		/*
		 * The address bits of a 4-MByte page are not contiguous:
		 * bits 31:22 come from PDE bits 31:22 and, with PSE-36,
		 * bits 39:32 from PDE bits 20:13 (SDM Vol. 3A Table 4-4).
		 * Bit 12 is PAT, not address.
		 */
		*gpa = (pde & GENMASK_ULL(31, 22)) |
		       ((pde & GENMASK_ULL(20, 13)) << 19) |
		       (va & GENMASK(21, 0));
		return hvx_check_access(ctx, pde);
	}

	ret = hvx_read_entry(ctx, (pde & HVX_PTE32_ADDR) +
			     ((va >> 12) & 0x3ff) * 4, 4, &pte);
	if (ret)
		return ret;
	*gpa = (pte & HVX_PTE32_ADDR) | (va & GENMASK(11, 0));
	return hvx_check_access(ctx, pde & pte);
}

/*
 * Walk tables of 512 8-byte entries, as PAE and 4-level paging use, from
 * the table at @table whose entries each map 1 << @shift bytes (39 for a
 * PML4, 21 for a PAE page directory). PS makes a leaf only in a PDPTE or
 * a PDE (1-GByte and 2-MByte pages, SDM Vol. 3A 4.5.4): in a PML4E it is
 * reserved and in a PTE it is the PAT bit.
 */
static int hvx_walk_64bit(const struct hvx_paging_ctx *ctx, u64 table,
			  u64 va, unsigned int shift, u64 *gpa)
{
	u64 entry, page_mask, rights = HVX_PTE_RW | HVX_PTE_US;
	int ret;

	for (;;) {
		ret = hvx_read_entry(ctx, table + ((va >> shift) & 0x1ff) * 8,
				     8, &entry);
		if (ret)
			return ret;
		rights &= entry;
		if (shift == 12 ||
		    ((shift == 21 || shift == 30) && (entry & HVX_PTE_PS))) {
			/*
			 * Masking the offset bits out of a large-page entry
			 * also drops its PAT bit (bit 12).
			 */
			page_mask = BIT_ULL(shift) - 1;
			*gpa = (entry & HVX_PTE_ADDR & ~page_mask) |
			       (va & page_mask);
			return hvx_check_access(ctx, rights);
		}
		table = entry & HVX_PTE_ADDR;
		shift -= 9;
	}
}

/*
 * PAE paging (SDM Vol. 3A 4.4): CR3 bits 31:5 locate four 8-byte PDPTEs,
 * one per GByte of the 32-bit linear address space.
 *
 * The CPU loads the PDPTEs when CR3 is written and does not read them
 * again, so this in-memory read differs from the CPU only if the guest
 * changed them since without reloading CR3.
 */
static int hvx_walk_pae(const struct hvx_paging_ctx *ctx, u32 va, u64 *gpa)
{
	u64 pdpte;
	int ret;

	ret = hvx_read_entry(ctx, (ctx->cr3 & GENMASK_ULL(31, 5)) +
			     (va >> 30) * 8, 8, &pdpte);
	if (ret)
		return ret;
	return hvx_walk_64bit(ctx, pdpte & HVX_PTE_ADDR, va, 21, gpa);
}

int hvx_gva_to_gpa(const struct hvx_paging_ctx *ctx, u64 gva, u64 *gpa)
{
	/*
	 * Outside IA-32e mode linear addresses are 32 bits wide; IA-32e
	 * mode requires paging, so without it there are only those.
	 */
	if (!(ctx->cr0 & HVX_CR0_PG)) {
		*gpa = (u32)gva;
		return 0;
	}

	if (ctx->efer & HVX_EFER_LMA) {
		/* IA-32e mode cannot be entered with CR4.PAE clear. */
		if (!(ctx->cr4 & HVX_CR4_PAE))
			return -EINVAL;
		if (ctx->cr4 & HVX_CR4_LA57)
			return -EOPNOTSUPP;
		/*
		 * 4-level paging translates bits 47:0; the CPU faults a
		 * non-canonical address before any walk, so bits 63:48 are
		 * not looked at here (SDM Vol. 3A 4.5).
		 */
		return hvx_walk_64bit(ctx, ctx->cr3 & HVX_PTE_ADDR, gva, 39,
				      gpa);
	}

	if (ctx->cr4 & HVX_CR4_PAE)
		return hvx_walk_pae(ctx, (u32)gva, gpa);
	return hvx_walk_32bit(ctx, (u32)gva, gpa);
}
