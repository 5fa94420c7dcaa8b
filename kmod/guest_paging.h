/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest linear to guest-physical translation by a software walk of the
 * guest's own page tables, for reading the instruction at guest RIP.
 *
 * Like insn_decode.c, guest_paging.c is plain C over <linux/types.h>,
 * <linux/errno.h> and <linux/bits.h> so that tests/unit/ builds it in
 * user space.
 */
#ifndef HVX_GUEST_PAGING_H
#define HVX_GUEST_PAGING_H

#include <linux/types.h>

struct hvx_paging_ctx {
	/* The guest's control registers and IA32_EFER, as in the VMCS. */
	u64 cr0, cr3, cr4, efer;
	/* Read @len bytes of guest-physical memory; 0 or -errno. */
	int (*read_gpa)(void *opaque, u64 gpa, void *buf, unsigned int len);
	void *opaque;
	/* HVX_ACCESS_*: the permissions to check on the way; 0: none. */
	unsigned int access;
};

#define HVX_ACCESS_WRITE	1u	/* a data write (CR0.WP applies) */
#define HVX_ACCESS_USER		2u	/* at CPL 3 */

/*
 * Translate @gva, a linear address (segment base already added), to
 * *@gpa with the paging mode that CR0, CR4 and EFER select. Returns 0,
 * -EFAULT if an entry on the way is not present, -EACCES if ctx->access
 * asks for a permission some entry on the way denies (R/W, U/S; SDM Vol.
 * 3A 4.6, without SMAP or protection keys), -EOPNOTSUPP for 5-level
 * paging, -EINVAL for an impossible register combination, or the error of
 * read_gpa. No A/D bit updates.
 */
int hvx_gva_to_gpa(const struct hvx_paging_ctx *ctx, u64 gva, u64 *gpa);

#endif /* HVX_GUEST_PAGING_H */
